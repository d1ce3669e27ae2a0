import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import { tokenKeyRepository } from '../../server/auth/token-keys.js';
import { LEGACY_KEY_FILE, TokenService } from '../../server/auth/token-service.js';
import type { Principal } from '../../server/auth/principal.js';
import {
  openPgStore,
  openSqliteStore,
  type StoreDatabase,
} from '../../server/db/store-database.js';
import { SecretBox } from '../../server/keys/secret-box.js';
import { describeDialects } from '../helpers/dialects.js';

const ADA: Principal = {
  kind: 'user',
  userId: 1,
  name: 'ada',
  role: 'user',
  keyId: null,
  keyScopes: null,
} as unknown as Principal;
const PULL = [{ type: 'repository' as const, name: 'ada/app', actions: ['pull'] }];

describeDialects('token signing keys', ({ open }) => {
  const dirs: string[] = [];
  const dataDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'appshelf-keys-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  /** A second process's connection to the same database (on SQLite the same file). */
  const sibling = (store: StoreDatabase): Promise<StoreDatabase> | StoreDatabase =>
    store.dialect === 'postgres'
      ? openPgStore(store.pool.options.connectionString!)
      : openSqliteStore(store.sqlite.name.replace(/\/appshelf\.db$/, ''));

  it('two processes starting together keep one key: a token made on one verifies on the other', async () => {
    const store = await open();
    const other = await sibling(store);
    try {
      const [a, b] = await Promise.all([
        TokenService.open({ keys: tokenKeyRepository(store), dataDir: await dataDir() }, 's', 60),
        TokenService.open({ keys: tokenKeyRepository(other), dataDir: await dataDir() }, 's', 60),
      ]);
      const { token } = await a.issue(ADA, PULL);
      expect((await b.verify(token))?.sub).to.equal('ada');
      const back = await b.issue(ADA, PULL);
      expect((await a.verify(back.token))?.access).to.deep.equal(PULL);
      for (const dir of dirs) expect(await readdir(dir)).to.deep.equal([]); // no key file
    } finally {
      await other.close();
    }
  });

  it('an existing store keeps the key of its key file: tokens it signed still verify', async () => {
    const store = await open();
    const dir = await dataDir();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    await mkdir(join(dir, 'keys'));
    await writeFile(join(dir, LEGACY_KEY_FILE), await exportPKCS8(privateKey));
    const old = await new SignJWT({ access: PULL, uid: 1, role: 'user', kid: null, scp: null })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer('appshelf')
      .setAudience('s')
      .setSubject('ada')
      .setExpirationTime('1h')
      .sign(privateKey);

    const imported = await TokenService.open(
      { keys: tokenKeyRepository(store), dataDir: dir },
      's',
      60,
    );
    expect((await imported.verify(old))?.sub).to.equal('ada');
    // Imported once: a process with another (empty) data folder reads the same key.
    const elsewhere = await TokenService.open(
      { keys: tokenKeyRepository(store), dataDir: await dataDir() },
      's',
      60,
    );
    expect((await elsewhere.verify(old))?.sub).to.equal('ada');
  });

  it('a second start reuses the stored key rather than the file or a new one', async () => {
    const store = await open();
    const keys = tokenKeyRepository(store);
    const first = await keys.keep('registry-token', async () => 'first', 1);
    let asked = false;
    const again = await keys.keep(
      'registry-token',
      async () => {
        asked = true;
        return 'second';
      },
      2,
    );
    expect([first, again, asked]).to.deep.equal(['first', 'first', false]);
  });

  it('with server.secretKey the row holds the key sealed; a key stored in clear is sealed in place', async () => {
    const store = await open();
    const keys = tokenKeyRepository(store);
    const stored = async (): Promise<string> => keys.keep('registry-token', async () => '', 0);
    const box = new SecretBox(randomBytes(32), undefined, 'the registry token signing key');
    // Made before the secretKey: in clear, and a token signed with it.
    const before = await TokenService.open({ keys, dataDir: await dataDir() }, 's', 60);
    const { token } = await before.issue(ADA, PULL);
    expect(await stored()).to.include('PRIVATE KEY');

    const sealed = await TokenService.open({ keys, dataDir: await dataDir(), box }, 's', 60);
    expect(await stored()).to.not.include('PRIVATE KEY');
    expect(SecretBox.isSealed(await stored())).to.equal(true);
    expect((await sealed.verify(token))?.sub, 'the same key, sealed').to.equal('ada');
    // A process without the secretKey would sign tokens nobody accepts: it refuses to start.
    let refused: unknown;
    await TokenService.open({ keys, dataDir: await dataDir() }, 's', 60).catch(
      (e) => (refused = e),
    );
    expect(String(refused)).to.match(/sealed under server\.secretKey/);
  });
});
