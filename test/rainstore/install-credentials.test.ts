/**
 * The pull credentials in the install template a Rainbond console fetches, from the outside: a
 * Rainstore client fetches the template with an installer's access key and pulls the app's images
 * with `service_image.hub_user/hub_password` through the real /v2 token flow (and skopeo). They are
 * the installer key's own (another key gets others), pull that app's repository only, and stop
 * working when the key is revoked, the app is unlisted or deleted, or they expire
 * (`rainstore.pullCredentialTtlSeconds`; fetching the template again renews them). A secret is
 * handed out once: every fetch gives a fresh one, and none ever comes back.
 */
import { rm } from 'node:fs/promises';
import { expect } from 'chai';
import { api, TestClock } from '../helpers/accounts.js';
import { TestRegistryClient, type OciErrorBody } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { run, toolAvailable } from '../helpers/tools.js';
import { clientHome } from '../clients/client-env.js';
import { person, shelve, type Person } from './people.js';
import { RainstoreClient, expectError, type RsAppDetail } from './client.js';

const SERVICE = 'f8d5286dc7cf7f129f1439cd706c3c4c';
const BUILD = '20260801090000';
/** How many secrets of one (installer key, app) stay valid at once (server/auth/pull-credentials.ts). */
const LIVE_PER_KEY_AND_APP = 10;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Creds {
  user: string;
  password: string;
  /** The component's `share_image`: `<host>/<repository>:<tag>`. */
  image: string;
}

interface Published {
  app: RsAppDetail;
  repository: string;
}

/** A store with a Rainstore client, and the apps and people the tests share. */
class Fixture {
  rs!: RainstoreClient;
  /** Every secret any template handed out, oldest first. */
  readonly issued: string[] = [];

  constructor(readonly srv: TestServer) {
    this.rs = new RainstoreClient(srv.url, 'acme');
  }

  /** Alice's app `name`, one component pushed where apphubinfo says, published and listed. */
  async publish(owner: Person, name: string): Promise<Published> {
    const rs = this.rs.as(owner.keys.push);
    const app = (await rs.createApp({ name, desc: name, publishType: 'public', tags: [] })).body;
    const hub = (await rs.hubInfo(app.appKeyID)).body;
    const pusher = new TestRegistryClient(this.srv.url, {
      username: hub.hubUser,
      password: hub.hubPassword,
    });
    await pusher.pushImage(`${hub.namespace}/${SERVICE}`, BUILD, name);
    const made = await rs.createVersion(app.appKeyID, {
      version: '1.0.0',
      versionAlias: '',
      description: '',
      rainbondVersion: 'v6.3.0-release',
      templateType: 'RAM',
      arch: 'amd64',
      is_plugin: false,
      template: {
        group_key: app.appKeyID,
        group_name: name,
        group_version: '1.0.0',
        apps: [
          {
            service_id: SERVICE,
            service_key: SERVICE,
            extend_method: 'stateless_multiple',
            share_image: `${hub.hubURL}/${hub.namespace}/${SERVICE}:${BUILD}`,
            service_image: {
              hub_url: hub.hubURL,
              namespace: hub.namespace,
              hub_user: hub.hubUser,
              hub_password: hub.hubPassword,
              is_trust: false,
            },
          },
        ],
      },
    });
    expect(made.status, JSON.stringify(made.body)).to.equal(200);
    await shelve(this.srv, owner, hub.namespace, '1.0.0');
    return { app, repository: hub.namespace };
  }

  /** What a console installing with `key` gets: the component's image and its credentials. */
  async install(key: string, app: Published): Promise<Creds> {
    const got = await this.rs
      .as(key)
      .getVersion(app.app.appKeyID, '1.0.0', { forInstall: true, getTemplate: true });
    expect(got.status, JSON.stringify(got.body)).to.equal(200);
    const t = JSON.parse(got.body.template) as {
      apps: { share_image: string; service_image: { hub_user: string; hub_password: string } }[];
    };
    const part = t.apps[0]!;
    const creds = {
      user: part.service_image.hub_user,
      password: part.service_image.hub_password,
      image: part.share_image,
    };
    expect(creds.user).to.be.a('string').and.not.equal('');
    expect(creds.password).to.be.a('string').and.not.equal('');
    expect(creds.image).to.equal(`${this.srv.host}/${app.repository}:1.0.0-${SERVICE}`);
    this.issued.push(creds.password);
    return creds;
  }

  registry(creds: Creds): TestRegistryClient {
    return new TestRegistryClient(this.srv.url, {
      username: creds.user,
      password: creds.password,
    });
  }

  /**
   * Pulls `<repository>:<tag>` (default: the credentials' own image) as a registry client does:
   * the manifest, then every blob. 200, or the first refusal with its OCI error code.
   */
  async pull(
    creds: Creds,
    options: { client?: TestRegistryClient; repository?: string } = {},
  ): Promise<{ status: number; code?: string }> {
    const client = options.client ?? this.registry(creds);
    const [, repository, tag] = /^[^/]+\/(.+):([^:/]+)$/.exec(creds.image)!;
    const repo = options.repository ?? repository!;
    const res = await client.request('GET', `/v2/${repo}/manifests/${tag!}`, {
      headers: { accept: OCI_MANIFEST },
    });
    if (res.status !== 200) return refusal(res);
    const manifest = (await res.json()) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const { digest } of [manifest.config, ...manifest.layers]) {
      const blob = await client.request('GET', `/v2/${repo}/blobs/${digest}`);
      if (blob.status !== 200) return refusal(blob);
      await blob.arrayBuffer();
    }
    return { status: 200 };
  }

  async expectPulls(creds: Creds, what: string): Promise<void> {
    expect(await this.pull(creds), what).to.deep.equal({ status: 200 });
  }

  /** Refused as the registry refuses: 401 or 403 with an OCI error body. */
  async expectRefused(creds: Creds, what: string, client?: TestRegistryClient): Promise<void> {
    const got = await this.pull(creds, client ? { client } : {});
    expect(got.status, what).to.be.oneOf([401, 403]);
    expect(got.code, what).to.be.oneOf(['UNAUTHORIZED', 'DENIED']);
  }
}

async function refusal(res: Response): Promise<{ status: number; code?: string }> {
  expect(res.headers.get('content-type') ?? '').to.include('json');
  const body = (await res.json()) as OciErrorBody;
  const code = body.errors[0]?.code;
  return code === undefined ? { status: res.status } : { status: res.status, code };
}

async function keyId(srv: TestServer, owner: Person, name: string): Promise<number> {
  const keys = await api<{ keys: { id: number; name: string }[] }>(srv, 'GET', '/api/v1/keys', {
    bearer: owner.session,
  });
  return keys.body.keys.find((k) => k.name === name)!.id;
}

describe('rainstore: install credentials are the installer key’s, scoped and revocable', function () {
  this.timeout(60_000);
  let srv: TestServer | undefined;
  let f: Fixture;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let notes: Published;
  let other: Published;
  let bobs: Creds;
  let carols: Creds;

  before(async () => {
    srv = await startTestServer({ rainstore: { marketDomain: 'acme', marketName: 'Acme Store' } });
    f = new Fixture(srv);
    alice = await person(srv, '+4915112349931', 'alice');
    bob = await person(srv, '+4915112349932', 'bob');
    carol = await person(srv, '+4915112349933', 'carol');
    notes = await f.publish(alice, 'Notes');
    other = await f.publish(alice, 'Other');
  });
  after(() => srv?.close());

  it('pull the app’s images through /v2 (and skopeo), not another app’s, and never push', async () => {
    bobs = await f.install(bob.keys.install, notes);
    expect(bobs.user, 'the credentials name their installer').to.equal('bob');
    await f.expectPulls(bobs, 'the installed app');
    const elsewhere = await f.pull(bobs, { repository: other.repository });
    expect(elsewhere.status, 'another app').to.be.oneOf([401, 403]);
    const push = await f.registry(bobs).pushBlob(notes.repository, 'not yours');
    expect(push.status, 'a push').to.be.oneOf([401, 403]);
    if (!toolAvailable('skopeo')) return;
    const home = await clientHome('installcreds');
    try {
      const inspect = await run(
        'skopeo',
        [
          '--policy',
          home.policy,
          'inspect',
          '--tls-verify=false',
          '--creds',
          `${bobs.user}:${bobs.password}`,
          '--format',
          '{{.Digest}}',
          `docker://${bobs.image}`,
        ],
        { env: home.env, timeoutMs: 50_000 },
      );
      expect(inspect.stdout.trim()).to.match(/^sha256:[0-9a-f]{64}$/);
    } finally {
      await rm(home.dir, { recursive: true, force: true });
    }
  });

  it('carry nothing but pulling that app, also when the installer is an admin', async () => {
    const admins = await f.install(ADMIN_KEY, notes);
    expect(admins.user).to.equal('admin');
    await f.expectPulls(admins, 'the installed app');
    const client = f.registry(admins);
    const catalog = await client.request('GET', '/v2/_catalog');
    expect(catalog.status, 'the catalog').to.be.oneOf([401, 403]);
    expect((await f.pull(admins, { repository: other.repository })).status).to.be.oneOf([401, 403]);
    expect((await client.pushBlob(notes.repository, 'no')).status).to.be.oneOf([401, 403]);
    const keys = await api(srv!, 'GET', '/api/v1/keys', { bearer: admins.password });
    expect(keys.status, 'the store API').to.equal(401);
  });

  it('differ per installer key: another user’s key and another key of the same user get others', async () => {
    carols = await f.install(carol.keys.install, notes);
    const bobsPushKey = await f.install(bob.keys.push, notes);
    expect(new Set([bobs.password, carols.password, bobsPushKey.password]).size).to.equal(3);
    await f.expectPulls(carols, 'key B');
    await f.expectPulls(bobsPushKey, 'a second key of A’s user');
  });

  it(`are fresh on every fetch, the earlier ones still valid, ${LIVE_PER_KEY_AND_APP} per key and app`, async () => {
    const again: Creds[] = [];
    for (let i = 1; i < LIVE_PER_KEY_AND_APP; i++)
      again.push(await f.install(carol.keys.install, notes));
    expect(new Set([carols, ...again].map((c) => c.password)).size).to.equal(LIVE_PER_KEY_AND_APP);
    await f.expectPulls(carols, 'the first of ten');
    const eleventh = await f.install(carol.keys.install, notes);
    await f.expectRefused(carols, 'the oldest, once an eleventh is issued');
    await f.expectPulls(again[0]!, 'the second');
    await f.expectPulls(eleventh, 'the newest');
    carols = eleventh;
  });

  it('are not in the stored template, nor in what the store API serves', async () => {
    const stored = await api<{ template: { apps: { service_image: Record<string, unknown> }[] } }>(
      srv!,
      'GET',
      `/api/v1/apps/${notes.repository}/versions/1.0.0`,
      { bearer: alice.session },
    );
    expect(stored.status, stored.text).to.equal(200);
    expect(stored.body.template.apps[0]!.service_image).to.include({ hub_password: '' });
    const served = await api(
      srv!,
      'GET',
      `/api/v1/apps/${notes.repository}/versions/1.0.0/install`,
      {
        bearer: bob.session,
      },
    );
    expect(served.status, served.text).to.equal(200);
    for (const secret of f.issued) {
      expect(stored.text).to.not.include(secret);
      expect(served.text).to.not.include(secret);
    }
  });

  it('stop at once when the installer key is revoked, also a token already issued; a secret never comes back', async () => {
    const warm = f.registry(bobs);
    await f.expectPulls(bobs, 'before');
    expect(await f.pull(bobs, { client: warm })).to.deep.equal({ status: 200 });
    const id = await keyId(srv!, bob, 'rainstore install');
    expect(
      (await api(srv!, 'DELETE', `/api/v1/keys/${id}`, { bearer: bob.session })).status,
    ).to.equal(204);
    await f.expectRefused(bobs, 'a new token');
    await f.expectRefused(bobs, 'the token issued before', warm);
    await f.expectPulls(carols, 'another installer’s');
    expectError(
      await f.rs
        .as(bob.keys.install)
        .getVersion(notes.app.appKeyID, '1.0.0', { forInstall: true, getTemplate: true }),
      403,
    );
    const made = await api<{ key: string }>(srv!, 'POST', '/api/v1/keys', {
      bearer: bob.session,
      body: { name: 'rainstore install again', scopes: ['install'] },
    });
    const before = [...f.issued];
    const renewed = await f.install(made.body.key, notes);
    expect(before, 'a new key gets a secret never seen').to.not.include(renewed.password);
    await f.expectPulls(renewed, 'the new key’s');
    await f.expectRefused(bobs, 'the revoked key’s, still');
    bobs = renewed;
  });

  it('stop for installers when the app is unlisted (its members keep theirs), and again while listed', async () => {
    const members = await f.install(alice.keys.install, notes);
    const shelf = (listed: boolean) =>
      api(srv!, 'PUT', `/api/v1/apps/${notes.repository}/shelf`, {
        bearer: alice.session,
        body: { listed },
      });
    expect((await shelf(false)).status).to.equal(200);
    await f.expectRefused(bobs, 'an installer’s, unlisted');
    await f.expectRefused(carols, 'another installer’s, unlisted');
    await f.expectPulls(members, 'a member may install it unlisted, so may pull');
    expect((await shelf(true)).status).to.equal(200);
    await f.expectPulls(carols, 'listed again');
  });

  it('stop for good when the app is deleted, also once an app of the same name is back', async () => {
    const members = await f.install(alice.keys.install, notes);
    const gone = await api(srv!, 'DELETE', `/api/v1/apps/${notes.repository}`, {
      bearer: alice.session,
    });
    expect(gone.status, gone.text).to.equal(204);
    await f.expectRefused(carols, 'an installer’s');
    await f.expectRefused(members, 'a member’s');
    const again = await f.publish(alice, 'Notes');
    expect(again.repository).to.equal(notes.repository);
    await f.expectRefused(carols, 'an installer’s, of the old app');
    await f.expectRefused(members, 'a member’s, of the old app');
    await f.expectPulls(await f.install(carol.keys.install, again), 'of the new app');
  });
});

describe('rainstore: install credentials expire (rainstore.pullCredentialTtlSeconds)', function () {
  this.timeout(60_000);
  const clock = new TestClock();
  let srv: TestServer | undefined;
  let f: Fixture;
  let notes: Published;
  let bob: Person;

  before(async () => {
    srv = await startTestServer(
      { rainstore: { marketDomain: 'acme', pullCredentialTtlSeconds: 60 } },
      { clock: clock.now },
    );
    f = new Fixture(srv);
    const alice = await person(srv, '+4915112349941', 'alice');
    bob = await person(srv, '+4915112349942', 'bob');
    notes = await f.publish(alice, 'Notes');
  });
  after(() => srv?.close());

  it('after the TTL they fail, also with a token issued before; a fetch renews the live ones and gives working ones', async () => {
    const first = await f.install(bob.keys.install, notes);
    const warm = f.registry(first);
    await f.expectPulls(first, 'fresh');
    expect(await f.pull(first, { client: warm })).to.deep.equal({ status: 200 });
    clock.advance(40_000);
    const second = await f.install(bob.keys.install, notes);
    clock.advance(40_000);
    await f.expectPulls(first, 'past its first 60 s, renewed by the second fetch');
    await f.expectPulls(second, 'the second, 40 s old');
    clock.advance(61_000);
    await f.expectRefused(first, 'expired');
    await f.expectRefused(second, 'expired too');
    await f.expectRefused(first, 'expired, with the token issued before', warm);
    const third = await f.install(bob.keys.install, notes);
    expect([first.password, second.password]).to.not.include(third.password);
    await f.expectPulls(third, 'a new fetch');
    await f.expectRefused(first, 'an expired one stays expired');
  });
});
