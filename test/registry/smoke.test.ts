import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient, errorCode } from '../helpers/registry-client.js';

describe('registry: push and pull round trip', () => {
  let srv: TestServer;
  let client: TestRegistryClient;
  before(async () => {
    srv = await startTestServer();
    client = new TestRegistryClient(srv.url);
  });
  after(() => srv.close());

  it('answers /v2/ with a Bearer challenge when anonymous', async () => {
    const res = await fetch(`${srv.url}/v2/`);
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(
      /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/v2\/token",service="appshelf"$/,
    );
    expect(await errorCode(res)).to.equal('UNAUTHORIZED');
  });

  it('pushes an image and pulls its manifest back byte-exact by tag and by digest', async () => {
    const { digest, manifest } = await client.pushImage('admin/hello', 'v1');
    for (const ref of ['v1', digest]) {
      const res = await client.request('GET', `/v2/admin/hello/manifests/${ref}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('docker-content-digest')).to.equal(digest);
      expect(res.headers.get('content-type')).to.equal(
        'application/vnd.oci.image.manifest.v1+json',
      );
      expect(await res.text()).to.equal(JSON.stringify(manifest));
    }
    const tags = await client.request('GET', '/v2/admin/hello/tags/list');
    expect(await tags.json()).to.deep.equal({ name: 'admin/hello', tags: ['v1'] });
  });
});
