/**
 * The log never carries a credential. The real server (`server/main.ts`) runs at debug level with
 * its output in a file; logins, access keys, registry tokens, basic auth (right and wrong), the
 * Rainstore's raw Authorization header and push credentials, and a publish with source
 * credentials all go through it; then the file is searched for every secret it saw. The one
 * exception: the development SMS provider prints the code it was asked to send as one plain line
 * (not a JSON log entry), for a person to read.
 * With APPSHELF_TEST_STORAGE=s3 the store keeps its blobs on the run's s3rver, and its S3 secret
 * access key is one more secret to look for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { S3_CREDENTIALS } from '../helpers/s3rver.js';
import { TEST_STORAGE, testS3 } from '../helpers/server.js';
import { codeInLine } from '../helpers/accounts.js';
import { putTemplate } from '../store/app-pushes.js';

const MAIN = fileURLToPath(new URL('../../server/main.ts', import.meta.url));
/** tsx as this checkout resolves it: the store runs in a temp folder, where it would not be found. */
const TSX = import.meta.resolve('tsx');
const ADMIN_KEY = 'ask_log-test-admin-key-0123456789abcdef';
const PHONE = '+4915112348001';
/** s3rver knows its access key id but checks no signatures: any secret works, this one is easy to find. */
const S3_SECRET = 'log-test-s3-secret-access-key-0123456789';

/** The storage settings of the store under test, as APPSHELF_* overrides. */
async function storageEnv(): Promise<Record<string, string>> {
  if (TEST_STORAGE === 'fs') return {};
  const s3 = await testS3();
  return {
    APPSHELF_STORAGE_DRIVER: 's3',
    APPSHELF_STORAGE_S3_ENDPOINT: s3.endpoint,
    APPSHELF_STORAGE_S3_BUCKET: s3.bucket,
    APPSHELF_STORAGE_S3_PREFIX: 'log-secrets/',
    APPSHELF_STORAGE_S3_FORCE_PATH_STYLE: 'true',
    APPSHELF_STORAGE_S3_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    APPSHELF_STORAGE_S3_SECRET_ACCESS_KEY: S3_SECRET,
  };
}

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

describe('server: the log carries no secret', function () {
  this.timeout(60_000);
  let dir = '';
  let logFile = '';
  let child: ChildProcess | undefined;
  let url = '';

  const call = async (
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(path, url), {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: a page or an empty body
    }
    return { status: res.status, text, json };
  };
  const log = () => readFile(logFile, 'utf8');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'appshelf-log-secrets-'));
    logFile = join(dir, 'store.log');
    const out = await open(logFile, 'a');
    child = spawn(process.execPath, ['--import', TSX, MAIN], {
      cwd: dir,
      env: {
        ...process.env,
        APPSHELF_LISTEN: '127.0.0.1:0',
        APPSHELF_DATA: join(dir, 'data'),
        APPSHELF_ADMIN_KEY: ADMIN_KEY,
        APPSHELF_LOG_LEVEL: 'debug',
        APPSHELF_RAINSTORE_MARKET_DOMAIN: 'acme',
        ...(await storageEnv()),
      },
      stdio: ['ignore', out.fd, out.fd],
    });
    await out.close();
    for (const deadline = Date.now() + 30_000; !url;) {
      const found = /appshelf listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await log());
      if (found) url = found[1]!;
      else if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the store did not start:\n${await log()}`);
      else await new Promise((done) => setTimeout(done, 100));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logins, keys, tokens, basic auth and source credentials stay out of it', async () => {
    const secrets: Record<string, string> = { 'admin key': ADMIN_KEY };
    if (TEST_STORAGE === 's3') secrets['S3 secret access key'] = S3_SECRET;
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

    expect((await call('POST', '/api/v1/auth/code', { body: { phone: PHONE } })).status).to.equal(
      202,
    );
    const code = (await log())
      .split('\n')
      .map((l) => codeInLine(l, PHONE))
      .find(Boolean);
    expect(code).to.match(/^\d{6}$/);
    const wrong = code === '000000' ? '111111' : '000000';
    await call('POST', '/api/v1/auth/login', { body: { phone: PHONE, code: wrong } });
    const login = await call('POST', '/api/v1/auth/login', {
      body: { phone: PHONE, code, name: 'alice' },
    });
    expect(login.status, login.text).to.equal(201);
    const session = login.json.token as string;
    secrets['session token'] = session;
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const key = await call('POST', '/api/v1/keys', {
      headers: bearer(session),
      body: { name: 'push', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    const accessKey = key.json.key as string;
    secrets['access key'] = accessKey;
    expect((await call('GET', '/api/v1/users/me', { headers: bearer(accessKey) })).status).to.equal(
      200,
    );
    await call('GET', '/my/keys', { headers: { cookie: `appshelf_session=${session}` } });

    const token = await call('GET', '/v2/token?service=appshelf&scope=repository:alice/app:pull', {
      headers: { authorization: basic('alice', accessKey) },
    });
    expect(token.status, token.text).to.equal(200);
    secrets['registry token'] = token.json.token as string;
    secrets['basic credentials'] = basic('alice', accessKey).slice(6);
    await call('GET', '/v2/alice/app/manifests/1.0', {
      headers: bearer(secrets['registry token']),
    });
    secrets['wrong password'] = 'ask_wrong-password-0123456789abcdef';
    await call('GET', '/v2/token?service=appshelf', {
      headers: { authorization: basic('alice', secrets['wrong password']) },
    });
    await call('GET', '/v2/_catalog', { headers: bearer('not-a-token-but-secret-looking') });
    secrets['bogus bearer'] = 'not-a-token-but-secret-looking';

    const rainstore = { authorization: accessKey };
    await call('GET', '/app-server/openapi/info?marketDomain=acme', { headers: rainstore });
    await call('GET', `/app-server/openapi/nothing?token=${session}&accessKey=${accessKey}`, {
      headers: rainstore,
    });
    const made = await call('POST', '/app-server/openapi/apps?marketDomain=acme', {
      headers: rainstore,
      body: { name: 'Notes', desc: 'notes', publishType: 'private', tags: [] },
    });
    expect(made.status, made.text).to.equal(200);
    const hub = await call(
      'GET',
      `/app-server/openapi/apps/${made.json.appKeyID as string}/apphubinfo?marketDomain=acme`,
      { headers: rainstore },
    );
    expect(hub.status, hub.text).to.equal(200);
    secrets['robot push password'] = hub.json.hubPassword as string;

    const reg = new TestRegistryClient(url, { username: 'admin', password: ADMIN_KEY });
    const draft = Buffer.from(
      JSON.stringify({
        group_key: 'b77047a0f9b23a392e63f657fae4125a',
        group_name: 'hello',
        group_version: '1.0.0',
        apps: [
          {
            service_id: 'f8d5286dc7cf7f129f1439cd706c3c4c',
            service_key: 'f8d5286dc7cf7f129f1439cd706c3c4c',
            extend_method: 'stateless_multiple',
            share_image: '127.0.0.1:9/upstream/web:1',
          },
        ],
      }),
    );
    expect((await putTemplate(reg, 'alice/hello', draft, '1.0.0')).res.status).to.equal(201);
    secrets['source password'] = 'source-registry-password-given-with-publish';
    const publish = await call('POST', '/api/v1/apps/alice/hello/versions/1.0.0/publish', {
      headers: bearer(session),
      body: {
        credentials: [
          { registry: '127.0.0.1:9', username: 'u', password: secrets['source password'] },
        ],
      },
    });
    expect(publish.status, publish.text).to.equal(202);
    for (let i = 0; i < 100; i++) {
      const job = await call('GET', '/api/v1/apps/alice/hello/versions/1.0.0/sync', {
        headers: bearer(session),
      });
      if (job.json.state === 'failed') break;
      await new Promise((done) => setTimeout(done, 50));
    }
    expect(
      (await call('POST', '/api/v1/auth/logout', { headers: bearer(session) })).status,
    ).to.equal(204);

    const lines = (await log()).split('\n');
    expect(lines.length).to.be.greaterThan(10);
    for (const [what, secret] of Object.entries(secrets)) {
      const leaks = lines.filter((l) => l.includes(secret));
      expect(leaks, `the ${what} is in the log`).to.deep.equal([]);
    }
    const withCode = lines.filter((l) => l.includes(code!));
    expect(withCode).to.have.lengthOf(1);
    expect(withCode[0]).to.equal(
      `appshelf: verification code for ${PHONE} is ${code!} (sms.provider: log sends no SMS; for development only)`,
    );
    const warning = lines.find((l) => l.includes('development sms provider'));
    expect(JSON.parse(warning!)).to.deep.include({ smsProvider: 'log', level: 40 });
  });
});
