/**
 * `appshelf login <store> --phone`: the code is sent, read from the log as an operator would,
 * typed at the CLI's prompt; the CLI keeps an access key of its own, not the session.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { api, codeFromLogs } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { BIN, cliIn } from './run-cli.js';

describe('cli: login with a phone number and a code', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let dir: string;

  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-phone-'));
  });
  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs `login --phone`, typing the code from the server's log once the CLI asks for it. */
  function phoneLogin(
    phone: string,
    args: string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        APPSHELF_CLI_CONFIG: join(dir, 'config.json'),
        APPSHELF_CLI_SOURCE: '1',
      };
      delete env.NODE_OPTIONS;
      const child = spawn(process.execPath, [BIN, 'login', srv.url, '--phone', phone, ...args], {
        cwd: dir,
        env,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('type it:') && child.stdin.writable)
          child.stdin.end(`${codeFromLogs(srv, phone)}\n`);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('signs a new user in, keeps a key of its own, and ends the session', async () => {
    const phone = '+4915112347777';
    const run = await phoneLogin(phone, ['--name', 'terminal-tess', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ username: 'terminal-tess' });
    const settings = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as {
      stores: Record<string, { key: string }>;
    };
    const kept = Object.values(settings.stores)[0]!.key;
    expect(kept).to.match(/^ask_/);
    expect(await cliIn(() => dir).ok(['whoami'])).to.contain('terminal-tess');
    const keys = await api<{ keys: { name: string; scopes: string[] }[] }>(
      srv,
      'GET',
      '/api/v1/keys',
      { bearer: kept },
    );
    expect(keys.body.keys.map((k) => k.scopes)).to.deep.equal([['read', 'install', 'push']]);
    const audit = await api<{ entries: { action: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?actor=terminal-tess',
      { bearer: ADMIN_KEY },
    );
    expect(audit.body.entries.map((e) => e.action)).to.include.members([
      'login',
      'key.created',
      'logout',
    ]);
  });

  it('refuses a wrong code with the store’s reason, keeping nothing', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      APPSHELF_CLI_CONFIG: join(dir, 'other.json'),
      APPSHELF_CLI_SOURCE: '1',
    };
    delete env.NODE_OPTIONS;
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'login', srv.url, '--phone', '+4915112347778'], {
        cwd: dir,
        env,
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
      child.stdin.end('000000\n');
    });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/appshelf: .*code/);
    await readFile(join(dir, 'other.json')).then(
      () => expect.fail('no settings may be written'),
      () => undefined,
    );
  });
});
