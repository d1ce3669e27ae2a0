/**
 * A mirror run whose upstream stops mid-copy (issue 14 §2): the run fails naming app, version and
 * blob, the version is not visible half-copied, and once the upstream is back (restarted on its
 * data, on another port) the next run finishes without fetching any blob the mirror already held
 * — the counting proxy in front of the upstream sees every blob GET.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';
import { readKey, runMirror } from './mirror-calls.js';
import { publishVersion, type Published } from './upstream-app.js';

const APP = 'acme/big';

describe('store mirror: an upstream that stops mid-copy', function () {
  this.timeout(120_000);
  let data: string;
  let upstream: TestServer;
  let proxy: CountingProxy;
  let mirror: TestServer;
  let version: Published;

  before(async () => {
    data = await mkdtemp(join(tmpdir(), 'appshelf-upstream-'));
    upstream = await startTestServer({}, { data });
    await api(upstream, 'POST', '/api/v1/orgs', {
      bearer: ADMIN_KEY,
      body: { name: 'acme', displayName: 'Acme' },
    });
    version = await publishVersion(new TestRegistryClient(upstream.url), APP, '1.0.0', 4);
    proxy = await startCountingProxy(upstream.host);
    mirror = await startTestServer({
      mirror: {
        upstreams: [
          {
            name: 'public',
            url: proxy.url,
            key: await readKey(upstream),
            apps: ['acme/big'],
            intervalSeconds: 0,
          },
        ],
      },
    });
  });
  after(async () => {
    await mirror?.close();
    await proxy?.close();
    await upstream?.close();
    await rm(data, { recursive: true, force: true });
  });

  it('fails naming app, version and blob; the next run goes on from what is held', async () => {
    const down = new TestRegistryClient(mirror.url);
    // The third big layer: the upstream stops as its first bytes pass the proxy.
    const big = version.big[2]!;
    let stopped: Promise<void> | undefined;
    proxy.onBlob = { digest: big, hook: () => (stopped = upstream.close()) };

    const failed = await runMirror(mirror, 'public');
    await stopped;
    expect(stopped, 'the upstream was stopped mid-copy').not.to.equal(undefined);
    expect(failed.lastRun?.error).to.match(/^acme\/big 1\.0\.0: blob sha256:[a-f0-9]{64}: /);
    expect(failed.apps[0]!.error).to.equal(failed.lastRun?.error);
    expect(failed.apps[0]!.versions).to.deep.equal([]);
    const tag = await down.request('HEAD', `/v2/${APP}/manifests/1.0.0`);
    expect(tag.status, 'no half-copied version is visible').to.equal(404);

    const held: string[] = [];
    for (const d of version.blobs)
      if ((await down.request('HEAD', `/v2/${APP}/blobs/${d}`)).status === 200) held.push(d);
    expect(held.length, 'some blobs were copied before the stop').to.be.greaterThan(0);
    expect(held.length, 'some were not').to.be.lessThan(version.blobs.length);
    const named = /blob (sha256:[a-f0-9]{64})/.exec(failed.lastRun?.error ?? '')?.[1];
    expect(version.blobs, 'the blob named is one of the version').to.include(named);
    expect(held, 'and one the mirror lacks').not.to.include(named);

    upstream = await startTestServer({}, { data });
    proxy.target = upstream.host;
    const before = new Map(proxy.blobGets);
    const done = await runMirror(mirror, 'public');
    expect(done.lastRun?.error ?? null).to.equal(null);
    expect(done.apps[0]!.versions).to.deep.equal(['1.0.0']);
    for (const d of held)
      expect(proxy.blobGets.get(d) ?? 0, `held blob ${d} fetched again`).to.equal(before.get(d));
    for (const d of version.blobs) {
      const res = await down.request('HEAD', `/v2/${APP}/blobs/${d}`);
      expect(res.status, d).to.equal(200);
    }
    const bundle = await down.request('HEAD', `/v2/${APP}/manifests/1.0.0`, {
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
    });
    expect(bundle.headers.get('docker-content-digest')).to.equal(version.bundle);
  });
});
