/** The app closure walked over a real appshelf store: bundle graph, plugins, referrers. */
import { expect } from 'chai';
import { appClosure, ClientError, RegistryClient } from '../../../registry/client/index.js';
import { pushAppVersion, type PushedVersion } from '../../helpers/app-version.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../../helpers/server.js';

describe('registry client: the closure of an app version', function () {
  this.timeout(60_000);
  let store: TestServer;
  let client: RegistryClient;
  let pushed: PushedVersion;

  before(async () => {
    store = await startTestServer();
    client = new RegistryClient({
      host: store.url,
      credentials: { username: 'admin', password: ADMIN_KEY },
    });
    pushed = await pushAppVersion(client, {
      repository: 'admin/wordpress',
      version: '1.2.0',
      pluginRepository: 'admin/perf-analyze',
      host: store.host,
    });
  });

  after(() => store?.close());

  it('names every manifest and blob of the version, its plugins and referrers, each once', async () => {
    const closure = await appClosure(client, 'admin/wordpress', '1.2.0');
    const inApp = closure.items
      .filter((i) => i.repository === 'admin/wordpress')
      .map((i) => i.digest);
    const inPlugin = closure.items
      .filter((i) => i.repository === 'admin/perf-analyze')
      .map((i) => i.digest);
    expect(inApp).to.have.members([...new Set(pushed.digests)]);
    expect(inPlugin).to.have.members([...new Set(pushed.plugin.digests)]);
    expect(closure.items).to.have.length(
      new Set(closure.items.map((i) => `${i.repository}@${i.digest}`)).size,
    );
    expect(closure.bytes).to.equal(closure.items.reduce((n, i) => n + i.size, 0));
    expect(closure.version).to.equal('1.2.0');
    expect(closure.bundle.digest).to.equal(pushed.bundle.digest);
    expect(closure.external).to.deep.equal([pushed.externalPlugin]);
  });

  it('orders the copy plan: the bundle first, each subject before its referrers, plugin tags kept', async () => {
    const { roots } = await appClosure(client, 'admin/wordpress', '1.2.0');
    expect(roots.map((r) => r.role)).to.deep.equal([
      'bundle',
      'referrer',
      'referrer',
      'plugin',
      'referrer',
      'plugin',
    ]);
    expect(roots[0]).to.include({ digest: pushed.bundle.digest, tag: '1.2.0' });
    expect(roots.filter((r) => r.role === 'referrer').map((r) => r.digest)).to.deep.equal(
      pushed.referrers,
    );
    expect(roots[3]).to.include({
      repository: 'admin/perf-analyze',
      tag: pushed.plugin.tag,
    });
    expect(roots[2]!.of).to.equal(pushed.referrers[0]); // the countersignature signs the signature
    // The plugin image held under the app's plugin tag.
    expect(roots[5]).to.include({
      repository: 'admin/wordpress',
      tag: `1.2.0-plugin-${pushed.carriedPlugin.pluginKey}`,
      of: pushed.carriedPlugin.pluginKey,
    });
  });

  it('walks by digest too (the version from the bundle), and can leave referrers out', async () => {
    const closure = await appClosure(client, 'admin/wordpress', pushed.bundle.digest, {
      referrers: false,
    });
    expect(closure.version).to.equal('1.2.0');
    expect(closure.roots.map((r) => r.role)).to.deep.equal(['bundle', 'plugin', 'plugin']);
    expect(closure.items.map((i) => i.digest)).not.to.include.members(pushed.referrers);
  });

  it('refuses what is not a bundle and names a missing version', async () => {
    const notBundle = await appClosure(client, 'admin/perf-analyze', pushed.plugin.tag).catch(
      (e: unknown) => e,
    );
    expect(notBundle).to.be.instanceOf(ClientError);
    expect((notBundle as ClientError).code).to.equal('invalid');
    const missing = await appClosure(client, 'admin/wordpress', '9.9.9').catch((e: unknown) => e);
    expect((missing as ClientError).code).to.equal('not_found');
  });
});
