/**
 * /metrics from the outside: the figures move with a push, a pull, an open upload, a GC run and a
 * search; `metrics.listen` moves the endpoint to a listener of its own; promtool accepts the text,
 * and a real Prometheus scrapes the store (`up == 1`).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { metricNames, sample, startPrometheus, waitFor } from '../helpers/prometheus.js';
import { run, toolAvailable } from '../helpers/tools.js';

async function scrape(base: string): Promise<string> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status, 'GET /metrics').to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('server: /metrics', function () {
  this.timeout(60_000);

  describe('on the main listener (the default)', () => {
    let srv: TestServer;
    let client: TestRegistryClient;
    before(async () => {
      srv = await startTestServer();
      client = new TestRegistryClient(srv.url);
    });
    after(() => srv?.close());

    it('counts a push and a pull: requests by family and status, bytes in and out', async () => {
      const before = await scrape(srv.url);
      const blob = randomBytes(256 * 1024);
      const pushed = await client.pushBlob('acme/app', blob);
      expect(pushed.status).to.equal(201);
      const image = await client.pushImage('acme/app', '1.0.0');
      const pull = await client.request('GET', `/v2/acme/app/blobs/${pushed.digest}`);
      expect(Buffer.from(await pull.arrayBuffer()).equals(blob)).to.equal(true);
      const manifest = await client.request('GET', '/v2/acme/app/manifests/1.0.0');
      expect(manifest.status).to.equal(200);
      await manifest.arrayBuffer();
      const missing = await client.request('GET', `/v2/acme/app/blobs/sha256:${'0'.repeat(64)}`);
      expect(missing.status).to.equal(404);
      await missing.arrayBuffer();
      // A streamed blob GET is counted once its file is closed too, which on a loaded machine can
      // come after the client has read the last byte: wait for it rather than race it.
      let after = '';
      await waitFor(5000, async () => {
        after = await scrape(srv.url);
        const pulled = { family: 'blobs', method: 'GET', status: '200' };
        return sample(after, 'appshelf_http_requests_total', pulled) > 0;
      });

      const moved = (name: string, labels: Record<string, string>): number =>
        sample(after, name, labels) - sample(before, name, labels);
      const requests = 'appshelf_http_requests_total';
      expect(moved(requests, { family: 'uploads', method: 'POST', status: '202' })).to.equal(3);
      expect(moved(requests, { family: 'uploads', method: 'PUT', status: '201' })).to.equal(3);
      expect(moved(requests, { family: 'manifests', method: 'PUT', status: '201' })).to.equal(1);
      expect(moved(requests, { family: 'blobs', method: 'GET', status: '200' })).to.equal(1);
      expect(moved(requests, { family: 'blobs', method: 'GET', status: '404' })).to.equal(1);
      expect(moved(requests, { family: 'manifests', method: 'GET', status: '200' })).to.equal(1);
      expect(moved(requests, { family: 'token', method: 'GET', status: '200' })).to.be.at.least(1);
      const latency = 'appshelf_http_request_duration_seconds_count';
      expect(moved(latency, { family: 'blobs', method: 'GET' })).to.equal(2);
      expect(moved(latency, { family: 'manifests', method: 'GET' })).to.equal(1);
      expect(
        sample(after, 'appshelf_http_request_duration_seconds_bucket', {
          family: 'manifests',
          method: 'GET',
          le: '+Inf',
        }),
      ).to.equal(sample(after, latency, { family: 'manifests', method: 'GET' }));

      expect(moved('appshelf_http_received_bytes_total', { family: 'uploads' })).to.be.at.least(
        blob.length,
      );
      expect(moved('appshelf_http_sent_bytes_total', { family: 'blobs' })).to.be.at.least(
        blob.length,
      );
      expect(moved('appshelf_http_sent_bytes_total', { family: 'blobs' })).to.be.below(
        blob.length + 4096,
      );
      expect(moved('appshelf_registry_blobs', {})).to.equal(3);
      expect(moved('appshelf_registry_blob_bytes', {})).to.be.at.least(blob.length);
      expect(image.blobs).to.have.length(2);
    });

    it('shows open upload sessions, GC runs, sync jobs by state, search latency and the database', async () => {
      const start = await client.request('POST', '/v2/acme/open/blobs/uploads/');
      expect(start.status).to.equal(202);
      const gc = await fetch(`${srv.url}/api/v1/admin/gc`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(gc.status).to.equal(200);
      const search = await fetch(`${srv.url}/api/v1/search?q=hello`);
      expect(search.status).to.equal(200);
      const text = await scrape(srv.url);

      expect(sample(text, 'appshelf_registry_upload_sessions')).to.equal(1);
      expect(
        sample(text, 'appshelf_registry_gc_runs_total', { result: 'success', dry_run: 'false' }),
      ).to.equal(1);
      expect(metricNames(text)).to.include.members([
        'appshelf_registry_gc_freed_bytes_total',
        'appshelf_registry_gc_deleted_total',
      ]);
      for (const state of ['pending', 'copying', 'done', 'failed'])
        expect(text).to.include(`appshelf_sync_jobs{kind="image",state="${state}"} 0`);
      expect(sample(text, 'appshelf_search_duration_seconds_count')).to.equal(1);
      // SQLite's main connection is open; PostgreSQL's pool has a client, busy or idle, and
      // no caller waits for one.
      if (srv.app.store.dialect === 'sqlite')
        expect(sample(text, 'appshelf_db_connections', { connection: 'main' })).to.equal(1);
      else {
        const pooled = ['busy', 'idle'].map((connection) =>
          sample(text, 'appshelf_db_connections', { connection }),
        );
        expect(pooled[0]! + pooled[1]!).to.be.at.least(1);
      }
      expect(sample(text, 'appshelf_db_pool_waiting')).to.equal(0);
      expect(sample(text, 'appshelf_db_size_bytes', { file: 'database' })).to.be.above(0);
      expect(sample(text, 'process_resident_memory_bytes')).to.be.above(0);
      // Gauges named like counters: promtool refuses them.
      expect(metricNames(text).filter((n) => n.startsWith('nodejs_active_'))).to.satisfy(
        (names: string[]) => names.every((n) => !n.endsWith('_total')),
      );
    });

    it('passes promtool check metrics', async function () {
      if (!toolAvailable('promtool')) this.skip();
      const text = await scrape(srv.url);
      const checked = await run('promtool', ['check', 'metrics'], {
        input: text,
        allowFailure: true,
      });
      expect(checked.code, checked.stdout + checked.stderr).to.equal(0);
    });
  });

  describe('with metrics.listen', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer({ metrics: { listen: '127.0.0.1:0' } });
    });
    after(() => srv?.close());

    it('serves /metrics on its own listener only; the main listener answers 404', async () => {
      expect(srv.metricsUrl, 'the metrics listener').to.be.a('string');
      expect(srv.metricsUrl).to.not.equal(srv.url);
      const text = await scrape(srv.metricsUrl!);
      expect(metricNames(text)).to.include('appshelf_http_requests_total');
      expect((await fetch(`${srv.url}/metrics`)).status).to.equal(404);
      expect((await fetch(`${srv.metricsUrl!}/healthz`)).status).to.equal(404);
    });

    it('is scraped by a real Prometheus: up == 1', async function () {
      if (!toolAvailable('prometheus')) this.skip();
      const prometheus = await startPrometheus(new URL(srv.metricsUrl!).host);
      try {
        let last: unknown;
        await waitFor(30_000, async () => {
          const res = await fetch(`${prometheus.url}/api/v1/query?query=up`);
          last = await res.json();
          const result = (last as { data?: { result?: { value: [number, string] }[] } }).data
            ?.result;
          return result?.[0]?.value[1] === '1';
        }).catch((err: Error) => {
          throw new Error(`${err.message}: last answer ${JSON.stringify(last)}`);
        });
        const blobs = await fetch(
          `${prometheus.url}/api/v1/query?query=appshelf_registry_blobs`,
        ).then((r) => r.json() as Promise<{ data: { result: unknown[] } }>);
        expect(blobs.data.result).to.have.length(1);
      } finally {
        await prometheus.close();
      }
    });
  });

  describe('with metrics.enabled false', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startTestServer({ metrics: { enabled: false } });
    });
    after(() => srv?.close());

    it('answers 404', async () => {
      expect((await fetch(`${srv.url}/metrics`)).status).to.equal(404);
    });
  });
});
