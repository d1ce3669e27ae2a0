/**
 * `appshelf mirror status` and `appshelf mirror run <name>` (the real binary) against a mirror of
 * a real upstream store: the run is followed to its end with progress on stderr, the status
 * lists the app and its versions, and a run that fails exits 1 naming where it stopped.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MirrorStatus, MirrorUpstreamStatus } from '../../schemas/mirror.js';
import { api } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { cliIn } from '../cli/run-cli.js';
import { readKey } from './mirror-calls.js';
import { publishVersion } from './upstream-app.js';

describe('cli: appshelf mirror', function () {
  this.timeout(60_000);
  let upstream: TestServer;
  let mirror: TestServer;
  let dir: string;
  const cli = cliIn(() => dir);

  before(async () => {
    upstream = await startTestServer();
    await api(upstream, 'POST', '/api/v1/orgs', {
      bearer: ADMIN_KEY,
      body: { name: 'acme', displayName: 'Acme' },
    });
    await publishVersion(new TestRegistryClient(upstream.url), 'acme/tool', '1.0.0');
    const key = await readKey(upstream);
    mirror = await startTestServer({
      mirror: {
        upstreams: [
          { name: 'public', url: upstream.url, key, apps: ['acme/tool'], intervalSeconds: 0 },
          // Nothing listens there: every run of it fails.
          { name: 'gone', url: 'http://127.0.0.1:9', key, apps: ['acme/*'], intervalSeconds: 0 },
        ],
      },
    });
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-mirror-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        defaultStore: mirror.host,
        stores: { [mirror.host]: { url: mirror.url, username: 'admin', key: ADMIN_KEY } },
      }),
      { mode: 0o600 },
    );
  });
  after(async () => {
    await mirror?.close();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs an upstream to its end, then shows it in the status', async () => {
    const run = await cli.run(['mirror', 'run', 'public', '--json']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.match(/^public: /m);
    const item = JSON.parse(run.stdout) as MirrorUpstreamStatus;
    expect([item.state, item.lastRun?.error]).to.deep.equal(['idle', null]);
    expect(item.apps.map((a) => [a.app, a.versions])).to.deep.equal([['acme/tool', ['1.0.0']]]);

    const status = await cli.okJson<MirrorStatus>(['mirror', 'status', '--json']);
    expect(status.items.map((i) => i.name)).to.deep.equal(['public', 'gone']);
    const text = await cli.ok(['mirror', 'status']);
    expect(text).to.contain('public (').and.to.contain('acme/tool').and.to.contain('1.0.0');
  });

  it('exits 1 with the error when the run fails, and 1 for an unknown upstream', async () => {
    const failed = await cli.run(['mirror', 'run', 'gone']);
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(/appshelf: the mirror run of gone failed: upstream gone: /);
    const unknown = await cli.run(['mirror', 'run', 'nope']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('no mirror upstream "nope"');
  });
});
