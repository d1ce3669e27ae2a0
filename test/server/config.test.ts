import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { applyEnv, ConfigError, loadConfig, parseConfig } from '../../server/config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('config: config.yml and APPSHELF_* overrides', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'appshelf-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the embedded config.yml parses to the defaults', () => {
    const config = loadConfig(join(root, 'config.yml'), {});
    expect(config).to.deep.include({ listen: '0.0.0.0:8080', data: './data' });
    expect(config.registry.anonymousPull).to.equal(false);
  });

  for (const [name, yaml, key] of [
    ['an unknown key', 'registy:\n  anonymousPull: true\n', 'registy'],
    ['a wrong type', 'registry:\n  anonymousPull: "maybe"\n', 'registry.anonymousPull'],
    ['a bad listen address', 'listen: nowhere\n', 'listen'],
    [
      'a bad sync.allowHosts entry',
      'sync:\n  allowHosts: [registry.corp, 10.0.0.0/33]\n',
      'sync.allowHosts[1]',
    ],
    [
      'a proxy without an upstream URL',
      'registry:\n  proxies:\n    - name: hub\n      upstream: registry-1.docker.io\n',
      'registry.proxies[0].upstream',
    ],
    [
      'two proxies of one name',
      'registry:\n  proxies:\n    - { name: hub, upstream: "https://a.example" }\n    - { name: hub, upstream: "https://b.example" }\n',
      'registry.proxies',
    ],
    [
      'two Docker mirrors',
      'registry:\n  proxies:\n    - { name: a, upstream: "https://a.example", dockerMirror: true }\n    - { name: b, upstream: "https://b.example", dockerMirror: true }\n',
      'at most one proxy may be the dockerMirror',
    ],
  ] as const) {
    it(`refuses ${name}, naming the key`, () => {
      const file = join(dir, 'config.yml');
      writeFileSync(file, yaml);
      expect(() => loadConfig(file, {}))
        .to.throw(ConfigError)
        .with.property('message')
        .that.includes(key);
    });
  }

  it('fills a proxy with its defaults', () => {
    const config = parseConfig({
      registry: { proxies: [{ name: 'hub', upstream: 'https://registry-1.docker.io' }] },
    });
    expect(config.registry.proxies[0]).to.deep.equal({
      name: 'hub',
      upstream: 'https://registry-1.docker.io',
      hosts: [],
      dockerMirror: false,
      username: '',
      password: '',
      anonymousPull: false,
      tagTtlSeconds: 300,
      maxBytes: 0,
      maxConcurrent: 8,
      timeoutSeconds: 30,
    });
  });

  it('takes sync.allowHosts from the environment as a YAML list', () => {
    const config = parseConfig(
      applyEnv({}, { APPSHELF_SYNC_ALLOW_HOSTS: '[registry.corp:5000, 10.20.0.0/16]' }),
    );
    expect(config.sync.allowHosts).to.deep.equal(['registry.corp:5000', '10.20.0.0/16']);
    expect(parseConfig({}).sync.allowHosts).to.deep.equal([]);
  });

  it('applies the aliases and generic overrides', () => {
    const config = parseConfig(
      applyEnv(
        {},
        {
          APPSHELF_LISTEN: '127.0.0.1:9000',
          APPSHELF_DATA: '/srv/appshelf',
          APPSHELF_ADMIN_KEY: '1234567890123456',
          APPSHELF_REGISTRY_ANONYMOUS_PULL: 'true',
          APPSHELF_REGISTRY_GC_GRACE_SECONDS: '60',
        },
      ),
    );
    expect(config.listen).to.equal('127.0.0.1:9000');
    expect(config.data).to.equal('/srv/appshelf');
    expect(config.auth.adminKey).to.equal('1234567890123456');
    expect(config.registry.anonymousPull).to.equal(true);
    expect(config.registry.gc.graceSeconds).to.equal(60);
  });

  it('reads the S3 storage keys, with their defaults and APPSHELF_STORAGE_* overrides', () => {
    const config = parseConfig(
      applyEnv(
        { storage: { driver: 's3', s3: { bucket: 'appshelf' } } },
        { APPSHELF_STORAGE_S3_ENDPOINT: 'http://127.0.0.1:9000', APPSHELF_STORAGE_S3_PREFIX: 'a/' },
      ),
    );
    expect(config.storage).to.deep.equal({
      driver: 's3',
      s3: {
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        bucket: 'appshelf',
        prefix: 'a/',
        forcePathStyle: false,
        redirectBlobGets: false,
      },
    });
    expect(parseConfig({}).storage).to.deep.equal({ driver: 'fs' });
  });

  it('takes redirectBlobGets: true (APPSHELF_STORAGE_S3_REDIRECT_BLOB_GETS too)', () => {
    const config = parseConfig(
      applyEnv(
        { storage: { driver: 's3', s3: { bucket: 'appshelf' } } },
        { APPSHELF_STORAGE_S3_REDIRECT_BLOB_GETS: 'true' },
      ),
    );
    expect(config.storage.driver === 's3' && config.storage.s3.redirectBlobGets).to.equal(true);
  });

  for (const [name, s3, key] of [
    ['an S3 store without a bucket', {}, 'storage.s3.bucket'],
    [
      'a redirectBlobGets that is no boolean',
      { bucket: 'b', redirectBlobGets: 'yes' },
      'storage.s3.redirectBlobGets',
    ],
    ['a secret key without its key id', { bucket: 'b', secretAccessKey: 'x' }, 'storage.s3'],
    ['a prefix that is no key prefix', { bucket: 'b', prefix: '/abs/' }, 'storage.s3.prefix'],
  ] as const) {
    it(`refuses ${name}, naming the key`, () => {
      expect(() => parseConfig({ storage: { driver: 's3', s3 } }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.includes(key);
    });
  }

  it('a bad key stops `npm start` with exit code 2 and a message naming it', function () {
    this.timeout(30_000);
    const file = join(dir, 'config.yml');
    writeFileSync(file, 'storage:\n  driver: floppy\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
      env: { ...process.env, APPSHELF_CONFIG: file, APPSHELF_DATA: join(dir, 'data') },
      encoding: 'utf8',
    });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.include('storage.driver');
  });

  it('reads database.url (postgres:// or postgresql://, APPSHELF_DATABASE_URL); absent: SQLite', () => {
    expect(parseConfig({}).database).to.deep.equal({});
    for (const url of [
      'postgres://appshelf:secret@127.0.0.1:5432/appshelf',
      'postgresql://db.internal/appshelf?sslmode=require',
    ])
      expect(parseConfig({ database: { url } }).database.url).to.equal(url);
    const env = parseConfig(applyEnv({}, { APPSHELF_DATABASE_URL: 'postgres://h/appshelf' }));
    expect(env.database.url).to.equal('postgres://h/appshelf');
  });

  for (const url of ['mysql://h/appshelf', 'appshelf.db', 'https://h/appshelf', ''])
    it(`refuses database.url ${JSON.stringify(url)}, naming the key and the expected form`, () => {
      expect(() => parseConfig({ database: { url } }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.includes('database.url')
        .and.includes('postgres://');
    });

  it('a database.url whose server cannot be reached stops `npm start` with exit code 2, the password left out', function () {
    this.timeout(30_000);
    const file = join(dir, 'config.yml');
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    writeFileSync(file, 'database:\n  url: postgres://appshelf:hunter2@127.0.0.1:1/appshelf\n');
    const data = join(dir, 'data');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'server/main.ts')], {
      env: { ...process.env, APPSHELF_CONFIG: file, APPSHELF_DATA: data },
      encoding: 'utf8',
    });
    expect(run.status).to.equal(2);
    expect(run.stderr)
      .to.include('database.url: PostgreSQL is not usable')
      .and.include('ECONNREFUSED');
    expect(run.stderr).to.not.include('hunter2');
    // Refused, not replaced: no SQLite database was made instead.
    expect(existsSync(join(data, 'appshelf.db'))).to.equal(false);
  });
});
