/**
 * The server secrets every process of a store must agree on (login-code, CSRF and webhook-secret
 * keys): derived from `server.secretKey` when it is set, files in `<data>/keys` otherwise, and a
 * store moving from the one to the other keeps its hooks' secrets. The several-processes suite
 * shows what they buy from the outside.
 */
import { expect } from 'chai';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { serverSecrets } from '../../server/keys/server-secrets.js';
import { parseConfig } from '../../server/config.js';
import { SecretBox } from '../../server/keys/secret-box.js';
import { api } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer } from '../helpers/server.js';
import { sqlRows, sqlRun } from '../helpers/store-sql.js';

const SECRET_KEY = 'k'.repeat(16) + 'another-32-or-more-characters';
const HOOK_SECRET = 'the receiver checks this one';

describe('server secrets', () => {
  const folders: string[] = [];
  const folder = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'appshelf-secrets-'));
    folders.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of folders) await rm(dir, { recursive: true, force: true });
  });

  it('derives the same keys from one secretKey in any data folder, a different one per name', async () => {
    const [one, two] = [await folder(), await folder()];
    const a = serverSecrets(one, SECRET_KEY);
    const b = serverSecrets(two, SECRET_KEY);
    for (const name of ['login-code.key', 'web-csrf.key', 'webhook-secrets'] as const) {
      expect(a.key(name).equals(b.key(name)), name).to.equal(true);
      expect(a.key(name)).to.have.length(32);
    }
    expect(a.key('login-code.key').equals(a.key('web-csrf.key'))).to.equal(false);
    expect(
      serverSecrets(one, `${SECRET_KEY}!`).key('web-csrf.key').equals(a.key('web-csrf.key')),
    ).to.equal(false);
    expect(existsSync(join(one, 'keys')), 'no files written').to.equal(false);
  });

  it('keeps a random key per name in <data>/keys without a secretKey', async () => {
    const dir = await folder();
    const first = serverSecrets(dir, undefined).key('web-csrf.key');
    expect(serverSecrets(dir, undefined).key('web-csrf.key').equals(first)).to.equal(true);
    expect(statSync(join(dir, 'keys', 'web-csrf.key')).mode & 0o777).to.equal(0o600);
    expect(
      serverSecrets(await folder(), undefined)
        .key('web-csrf.key')
        .equals(first),
    ).to.equal(false);
  });

  it('refuses a secretKey too short to be one', () => {
    expect(() => parseConfig({ server: { secretKey: 'short' } })).to.throw(/at least 32/);
  });

  it("seals a hook's secret again under secretKey when a store starts with one", async function () {
    this.timeout(60_000);
    const data = await folder();
    const overrides = { webhooks: { allowHosts: ['127.0.0.1'] } };
    let srv = await startTestServer(overrides, { data });
    const made = await api<{ id: number }>(srv, 'POST', '/api/v1/namespaces/admin/webhooks', {
      bearer: ADMIN_KEY,
      body: { url: 'http://127.0.0.1:9/hook', events: ['push'], secret: HOOK_SECRET },
    });
    expect(made.status, made.text).to.equal(201);
    const stored = async (): Promise<string> => {
      const [row] = await sqlRows<{ secret: string }>(
        srv.app.store,
        sql`SELECT secret FROM webhooks WHERE id = ${made.body.id}`,
      );
      return row!.secret;
    };
    const before = await stored();
    await srv.close();

    srv = await startTestServer({ ...overrides, server: { secretKey: SECRET_KEY } }, { data });
    try {
      const after = await stored();
      expect(after).to.not.equal(before);
      // A process with no keys folder at all opens it with the derived key alone.
      const derived = new SecretBox(
        serverSecrets(await folder(), SECRET_KEY).key('webhook-secrets'),
      );
      expect(derived.open(after)).to.equal(HOOK_SECRET);
      expect(() => derived.open(before)).to.throw(/cannot be decrypted/);
      expect(srv.logs.some((l) => l.includes('hook secrets sealed again'))).to.equal(true);
    } finally {
      await srv.close();
    }
  });

  it('seals them again once: a later start skips the scan, a malformed row never stops one', async function () {
    this.timeout(60_000);
    const data = await folder();
    const overrides = { webhooks: { allowHosts: ['127.0.0.1'] } };
    const withKey = { ...overrides, server: { secretKey: SECRET_KEY } };
    let srv = await startTestServer(overrides, { data });
    const hook = async (): Promise<number> => {
      const made = await api<{ id: number }>(srv, 'POST', '/api/v1/namespaces/admin/webhooks', {
        bearer: ADMIN_KEY,
        body: { url: 'http://127.0.0.1:9/hook', events: ['push'], secret: HOOK_SECRET },
      });
      expect(made.status, made.text).to.equal(201);
      return made.body.id;
    };
    const [good, bad] = [await hook(), await hook()];
    await sqlRun(
      srv.app.store,
      sql`UPDATE webhooks SET secret = 'no sealed form' WHERE id = ${bad}`,
    );
    await srv.close();
    const derived = new SecretBox(serverSecrets(await folder(), SECRET_KEY).key('webhook-secrets'));
    const stored = async (id: number): Promise<string> => {
      const [row] = await sqlRows<{ secret: string }>(
        srv.app.store,
        sql`SELECT secret FROM webhooks WHERE id = ${id}`,
      );
      return row!.secret;
    };
    const lines = (text: string) => srv.logs.filter((l) => l.includes(text));

    for (const run of ['first', 'second']) {
      srv = await startTestServer(withKey, { data });
      try {
        // The first start scans (the malformed row logged and skipped); the second finds the
        // scan recorded and reads no row.
        expect(lines('hook secret not sealed again'), run).to.have.length(run === 'first' ? 1 : 0);
        const sealed = lines('hook secrets sealed again');
        expect(sealed, run).to.have.length(run === 'first' ? 1 : 0);
        if (run === 'first') expect(sealed[0]).to.include('"hooks":1').and.include('"skipped":1');
        expect(derived.open(await stored(good)), run).to.equal(HOOK_SECRET);
        expect(await stored(bad), run).to.equal('no sealed form');
        const listed = await api<{ id: number }[]>(
          srv,
          'GET',
          '/api/v1/namespaces/admin/webhooks',
          {
            bearer: ADMIN_KEY,
          },
        );
        expect(listed.status, listed.text).to.equal(200);
      } finally {
        await srv.close();
      }
    }
  });
});
