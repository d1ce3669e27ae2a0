/**
 * The real `appshelf rules` commands against a started store (issue 17 §2, §3): an owner's key
 * sets immutability and retention (changing only what is given), a dry run lists what would go
 * and why the rest stays, a real run removes it and reports the bytes GC freed; then /v2 refuses
 * moving a fixed tag, and `appshelf push` of a published version is refused unless an owner
 * passes `--force` (audited, a newer update time). A maintainer's key is refused (exit 1), a
 * bad command line exits 2.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RetentionReport } from '../../schemas/governance.js';
import { api, orgWithMaintainer, TestClock } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { writeImageLayout } from '../helpers/oci-layout.js';
import { pushApp } from '../web/push-app.js';
import { cliIn } from './run-cli.js';

const HOUR = 3_600_000;
const TEMPLATE = fileURLToPath(new URL('../fixtures/ram/valid/minimal.json', import.meta.url));

describe('cli: appshelf rules (immutability and retention)', function () {
  this.timeout(90_000);
  const clock = new TestClock();
  let srv: TestServer;
  let dir = '';
  let maintainerConfig = '';
  const cli = cliIn(() => dir);
  const admin = () => new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });

  /** A CLI settings file logged in to the store with a push key of the session's user. */
  async function loginFile(file: string, session: string, username: string): Promise<void> {
    const key = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: session,
      body: { name: 'cli', scopes: ['push'] },
    });
    expect(key.status, key.text).to.equal(201);
    const stores = { [srv.host]: { url: srv.url, username, key: key.body.key } };
    await writeFile(file, JSON.stringify({ defaultStore: srv.host, stores }), { mode: 0o600 });
  }

  before(async () => {
    srv = await startTestServer({ registry: { gc: { graceSeconds: 60 } } } as never, {
      clock: clock.now,
    });
    dir = await mkdtemp(join(tmpdir(), 'appshelf-cli-rules-'));
    const { ownerSession, maintainerSession } = await orgWithMaintainer(
      srv,
      'acme',
      { phone: '+4915112342001', name: 'olga' },
      { phone: '+4915112342002', name: 'max' },
    );
    await loginFile(join(dir, 'config.json'), ownerSession, 'olga');
    maintainerConfig = join(dir, 'maintainer.json');
    await loginFile(maintainerConfig, maintainerSession, 'max');
    for (const v of ['1.0.0', '1.1.0', '2.0.0']) await pushApp(admin(), 'acme/web', v);
    const pkg = await api(srv, 'POST', '/api/v1/apps/acme/web/packages', {
      bearer: ownerSession,
      body: { name: 'stable', versions: ['1.0.0'] },
    });
    expect(pkg.status, pkg.text).to.equal(201);
    await admin().pushImage('acme/base', 'v1', 'a');
  });
  after(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows the rules, none yet', async () => {
    expect(await cli.okJson(['rules', 'show', 'acme'])).to.deep.equal({
      immutability: { versions: false, tagPatterns: [] },
      retention: { keepNewest: null, keepPulledDays: null, untaggedHours: null },
    });
    expect(await cli.ok(['rules', 'show', 'acme'])).to.equal(
      'acme: published versions not immutable; tag patterns: none\nacme: retention: no rules\n',
    );
  });

  it('sets the rules, changing only what the command line names', async () => {
    expect(
      await cli.okJson([
        'rules',
        'immutability',
        'acme',
        '--tag-pattern',
        'v*',
        '--tag-pattern',
        'rc-?',
      ]),
    ).to.deep.equal({ versions: false, tagPatterns: ['v*', 'rc-?'] });
    expect(await cli.okJson(['rules', 'immutability', 'acme', '--versions', 'off'])).to.deep.equal({
      versions: false,
      tagPatterns: ['v*', 'rc-?'],
    });
    await cli.ok(['rules', 'retention', 'acme', '--keep-newest', '1', '--keep-pulled-days', '30']);
    expect(
      await cli.okJson([
        'rules',
        'retention',
        'acme',
        '--keep-pulled-days',
        'none',
        '--untagged-hours',
        '1',
      ]),
    ).to.deep.equal({ keepNewest: 1, keepPulledDays: null, untaggedHours: 1 });
    expect(await cli.ok(['rules', 'show', 'acme'])).to.equal(
      'acme: published versions not immutable; tag patterns: v*, rc-?\n' +
        'acme: retention: keep the 1 newest versions; remove untagged manifests after 1 hours\n',
    );
    const read = await api(srv, 'GET', '/api/v1/namespaces/acme/immutability');
    expect(read.body).to.deep.equal({ versions: false, tagPatterns: ['v*', 'rc-?'] });
  });

  it('refuses a bad command line with exit 2, and a maintainer with exit 1', async () => {
    for (const args of [
      ['rules', 'retention', 'acme'],
      ['rules', 'retention', 'acme', '--keep-newest', '0'],
      ['rules', 'immutability', 'acme', '--versions', 'maybe'],
    ]) {
      const r = await cli.run(args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr).to.match(/^appshelf: /);
    }
    const byMaintainer = await cli.run(['rules', 'run', 'acme'], { config: maintainerConfig });
    expect(byMaintainer.code).to.equal(1);
    expect(byMaintainer.stderr).to.contain('does not allow this').and.contain('only an owner');
    const unknown = await cli.run(['rules', 'show', 'nobody-here']);
    expect([unknown.code, unknown.stderr]).to.satisfy(
      ([code, err]: [number, string]) => code === 1 && err.includes('not found'),
    );
  });

  it('dry-runs: what would go and why the rest stays, nothing removed', async () => {
    const plan = await cli.okJson<RetentionReport>(['rules', 'run', 'acme', '--dry-run']);
    expect(plan.dryRun).to.equal(true);
    expect(plan.removed.map((r) => [r.version, r.reason])).to.deep.equal([
      ['1.1.0', 'not among the 1 newest'],
    ]);
    expect(plan.kept.map((k) => [k.version, k.kept])).to.deep.equal([
      ['2.0.0', ['among the 1 newest']],
      ['1.0.0', ['in package stable']],
    ]);
    const text = await cli.ok(['rules', 'run', 'acme', '--dry-run']);
    expect(text.split('\n')).to.deep.equal([
      'WOULD REMOVE    WHY',
      'acme/web:1.1.0  not among the 1 newest',
      'KEPT            WHY',
      'acme/web:2.0.0  among the 1 newest',
      'acme/web:1.0.0  in package stable',
      'acme: would remove 1 version and 0 untagged manifests (dry run: nothing changed)',
      '',
    ]);
    expect((await admin().request('GET', '/v2/acme/web/manifests/1.1.0')).status).to.equal(200);
  });

  it('runs: removes what the dry run listed and reports the bytes freed', async () => {
    clock.advance(2 * HOUR); // past GC's grace period
    const done = await cli.okJson<RetentionReport>(['rules', 'run', 'acme']);
    expect(done.dryRun).to.equal(false);
    expect(done.removed.map((r) => r.version)).to.deep.equal(['1.1.0']);
    expect(done.gc!.bytesFreed).to.be.greaterThan(0);
    expect((await admin().request('GET', '/v2/acme/web/manifests/1.1.0')).status).to.equal(404);
    expect(await cli.ok(['rules', 'run', 'acme'])).to.match(
      /acme: removed 0 versions and 0 untagged manifests; gc freed \d+ B \(0 blobs\)\n$/,
    );
  });

  it("sets and runs an app's own rules with --app", async () => {
    expect(
      await cli.okJson(['rules', 'retention', 'acme', '--app', 'web', '--keep-newest', '5']),
    ).to.deep.equal({ keepNewest: 5, keepPulledDays: null, untaggedHours: null });
    expect(await cli.ok(['rules', 'show', 'acme', '--app', 'web'])).to.contain(
      'acme/web: retention: keep the 5 newest versions',
    );
    const plan = await cli.okJson<RetentionReport>([
      'rules',
      'run',
      'acme',
      '--app',
      'web',
      '--dry-run',
    ]);
    expect([plan.app, plan.removed]).to.deep.equal(['web', []]);
    const audit = await api<{ entries: { action: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?action=retention.rules_set&limit=10',
      { bearer: ADMIN_KEY },
    );
    expect(audit.body.entries.map((e) => e.target)).to.include('acme/web');
  });

  it('then /v2 refuses moving a tag fixed from the CLI', async () => {
    await cli.ok(['rules', 'immutability', 'acme', '--versions', 'on']);
    const refused = await admin()
      .pushImage('acme/web', '2.0.0', 'other')
      .then(
        () => '',
        (err: Error) => err.message,
      );
    expect(refused).to.contain('"code":"DENIED"').and.contain('published versions are immutable');
    const pattern = await admin()
      .pushImage('acme/base', 'v1', 'b')
      .then(
        () => '',
        (err: Error) => err.message,
      );
    expect(pattern).to.contain('"code":"DENIED"');
  });

  it('appshelf push meets the rule too: a re-push of a published version is refused, --force republishes it (owners only)', async () => {
    const { apps } = JSON.parse(await readFile(TEMPLATE, 'utf8')) as {
      apps: { service_key: string }[];
    };
    const key = apps[0]!.service_key;
    for (const name of ['first', 'second']) await writeImageLayout(join(dir, name), 'v1');
    const push = (image: string, ...extra: string[]) =>
      cli.run([
        'push',
        TEMPLATE,
        `${srv.host}/acme/fixed:1.0.0`,
        '--image',
        `${key}=oci:${join(dir, image)}:v1`,
        ...extra,
      ]);
    const first = await push('first');
    expect(first.code, first.stderr).to.equal(0);
    const versionOf = async () =>
      (
        await api<{ versions: { version: string; updatedAt: string }[] }>(
          srv,
          'GET',
          '/api/v1/apps/acme/fixed/versions',
          { bearer: ADMIN_KEY },
        )
      ).body.versions.find((v) => v.version === '1.0.0')!;
    const before = await versionOf();

    const refused = await push('second');
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('published versions are immutable');
    const byMaintainer = await cli.run(
      [
        'push',
        TEMPLATE,
        `${srv.host}/acme/fixed:1.0.0`,
        '--image',
        `${key}=oci:${join(dir, 'second')}:v1`,
        '--force',
      ],
      { config: maintainerConfig },
    );
    expect(byMaintainer.code).to.equal(1);

    clock.advance(5_000); // update times count in seconds
    const forced = await push('second', '--force');
    expect(forced.code, forced.stderr).to.equal(0);
    expect(Date.parse((await versionOf()).updatedAt)).to.be.above(Date.parse(before.updatedAt));
    const audit = await api<{ entries: { actor: string; target: string }[] }>(
      srv,
      'GET',
      '/api/v1/audit?action=tag.republished&limit=50',
      { bearer: ADMIN_KEY },
    );
    expect(audit.body.entries.map((e) => `${e.actor} ${e.target}`)).to.include(
      'olga acme/fixed:1.0.0',
    );
  });
});
