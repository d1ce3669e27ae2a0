/**
 * An app's display name: the template's `group_name` when the publisher gave none, and the
 * publisher's own once given (a later push does not overwrite it).
 */
import { expect } from 'chai';
import { api } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { pushTemplate } from './app-pushes.js';

const template = (groupName: string): Buffer =>
  Buffer.from(
    JSON.stringify({
      group_key: 'b77047a0f9b23a392e63f657fae4125a',
      group_name: groupName,
      group_version: '1.0.0',
      apps: [
        {
          service_id: 'f8d5286dc7cf7f129f1439cd706c3c4c',
          service_key: 'f8d5286dc7cf7f129f1439cd706c3c4c',
          service_cname: 'web',
          extend_method: 'stateless_multiple',
          share_image: 'hub.example/acme/web:1',
        },
      ],
    }),
  );

describe('store: display name from the template', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let reg: TestRegistryClient;
  const displayName = async (repo: string): Promise<string> => {
    const res = await api<{ displayName: string }>(srv, 'GET', `/api/v1/apps/${repo}`, {
      bearer: ADMIN_KEY,
    });
    expect(res.status, res.text).to.equal(200);
    return res.body.displayName;
  };

  before(async () => {
    srv = await startTestServer();
    reg = new TestRegistryClient(srv.url);
  });
  after(() => srv?.close());

  it("takes the template's group_name when the publisher gave none", async () => {
    await pushTemplate(reg, 'admin/blog', template('WordPress Blog'), '1.0.0');
    expect(await displayName('admin/blog')).to.equal('WordPress Blog');
  });

  it('keeps it through a second push', async () => {
    await pushTemplate(reg, 'admin/blog', template('WordPress Blog'), '1.0.1');
    expect(await displayName('admin/blog')).to.equal('WordPress Blog');
  });

  it("keeps the publisher's display name over a later push", async () => {
    const set = await api(srv, 'PATCH', '/api/v1/apps/admin/blog', {
      bearer: ADMIN_KEY,
      body: { displayName: 'My Blog' },
    });
    expect(set.status, set.text).to.equal(200);
    await pushTemplate(reg, 'admin/blog', template('Another Name'), '1.1.0');
    expect(await displayName('admin/blog')).to.equal('My Blog');
  });

  it('keeps the display name given when the app was created', async () => {
    const created = await api(srv, 'POST', '/api/v1/apps', {
      bearer: ADMIN_KEY,
      body: { namespace: 'admin', name: 'pad', displayName: 'Scratch Pad' },
    });
    expect(created.status, created.text).to.equal(201);
    await pushTemplate(reg, 'admin/pad', template('Notes'), '1.0.0');
    expect(await displayName('admin/pad')).to.equal('Scratch Pad');
  });

  it('keeps the name when the template has no group_name', async () => {
    await pushTemplate(reg, 'admin/nameless', template('  '), '1.0.0');
    expect(await displayName('admin/nameless')).to.equal('nameless');
  });
});
