/**
 * What the CLI takes when it is not told (issue 16 §4): `pull` and `install` without a version take
 * the newest listed one (ready and in a package; the newest ready one for an app with no package),
 * and `login` without a key option asks for the key, not echoing it on a terminal.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { api } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { pushBundle } from '../store/app-pushes.js';
import { BIN, cliIn } from './run-cli.js';

const TEMPLATE = fileURLToPath(new URL('../fixtures/ram/valid/minimal.json', import.meta.url));

describe('cli: defaults (newest listed version, key prompt)', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let dir = '';
  const cli = cliIn(() => dir);

  before(async () => {
    srv = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-defaults-'));
    const reg = new TestRegistryClient(srv.url);
    const template = await readFile(TEMPLATE);
    const key = (JSON.parse(template.toString()) as { apps: { service_key: string }[] }).apps[0]!
      .service_key;
    // 1.0.0 and 2.0.0 ready; only 1.0.0 in a package (listed). 3.0.0 would be newer, but a draft.
    for (const v of ['1.0.0', '2.0.0']) await pushBundle(reg, 'admin/tool', v, template, [key]);
    const pkg = await api(srv, 'POST', '/api/v1/apps/admin/tool/packages', {
      bearer: ADMIN_KEY,
      body: { name: 'stable', versions: ['1.0.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    await pushBundle(reg, 'admin/other', '1.0.0', template, [key]);
    await pushBundle(reg, 'admin/other', '1.1.0', template, [key]);
  });
  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('logs in with the key typed at the prompt (stdin not a terminal)', async () => {
    const r = await cli.run(['login', srv.url], { stdin: `${ADMIN_KEY}\n` });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal(`access key for ${srv.host}: `);
    expect(r.stdout).to.equal(`logged in to ${srv.host} as admin (default store)\n`);
  });

  it('does not echo the key typed at the prompt on a terminal', async () => {
    // `script` (util-linux) runs the CLI on a pseudo-terminal.
    const config = join(dir, 'tty-config.json');
    // `script` gives the CLI a terminal; what the terminal shows comes back on its stdout.
    const shown = await new Promise<{ code: number | null; out: string }>((done, fail) => {
      const child = spawn(
        'script',
        ['-qec', `${process.execPath} ${BIN} login ${srv.url} --no-default`, '/dev/null'],
        {
          cwd: dir,
          env: { ...process.env, APPSHELF_CLI_CONFIG: config, APPSHELF_CLI_SOURCE: '1' },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let typed = false;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (typed || !out.includes('access key for')) return;
        typed = true;
        child.stdin.write(`${ADMIN_KEY}\r`);
      });
      child.on('error', fail);
      child.on('close', (code) => done({ code, out }));
    });
    expect(shown.code, shown.out).to.equal(0);
    expect(shown.out).to.contain('logged in to').and.not.contain(ADMIN_KEY);
    expect(await cli.ok(['whoami'], { config })).to.match(/^admin on /);
  });

  it('installs and pulls the newest listed version when the reference names none', async () => {
    const installed = await cli.okJson<{ version: string }>([
      'install',
      'admin/tool',
      '-o',
      join(dir, 'install.json'),
    ]);
    const pulled = await cli.okJson<{ reference: string }>([
      'pull',
      'admin/tool',
      '-o',
      join(dir, 'pulled'),
    ]);
    expect([installed.version, pulled.reference]).to.deep.equal([
      '1.0.0',
      `${srv.host}/admin/tool:1.0.0`,
    ]);
  });

  it('takes the newest ready version of an app with no package, for both', async () => {
    const installed = await cli.okJson<{ version: string }>([
      'install',
      'admin/other',
      '-o',
      join(dir, 'other.json'),
    ]);
    const pulled = await cli.okJson<{ reference: string }>([
      'pull',
      'admin/other',
      '-o',
      join(dir, 'other'),
    ]);
    expect([installed.version, pulled.reference]).to.deep.equal([
      '1.1.0',
      `${srv.host}/admin/other:1.1.0`,
    ]);
  });
});
