/**
 * examples/README.md's walkthrough, run as written (issue 16 §4): its commands are read from the
 * README and run with the real `appshelf` binary against a real store, in a folder that holds
 * the repository's `examples/` as a fresh clone does. Docker Hub is stood in for by a local CNCF
 * Distribution registry holding `library/mysql:8.0.36` and `library/wordpress:6.5.5-apache`; the
 * only changes to the commands are that registry's and the store's addresses.
 */
import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RegistryClient } from '../../registry/client/index.js';
import { validateRamTemplate } from '../../schemas/ram.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';
import { cliIn } from '../cli/run-cli.js';
import {
  distributionAvailable,
  startDistribution,
  type DistributionServer,
} from '../registry/client/distribution.js';
import { buildImage, buildIndex, pushBuilt } from '../registry/client/images.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The commands of the README's second `sh` block: continuation lines joined. */
async function walkthroughCommands(): Promise<string[]> {
  const readme = await readFile(join(EXAMPLES, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks, 'the start block and the walkthrough block').to.have.length(2);
  return blocks[1]!
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('examples: the WordPress with MySQL walkthrough', function () {
  this.timeout(120_000);
  let hub: DistributionServer | undefined;
  let srv: TestServer | undefined;
  let dir = '';
  const cli = cliIn(() => dir);

  before(async function () {
    if (!distributionAvailable()) this.skip();
    [hub, srv] = await Promise.all([startDistribution({ auth: false }), startTestServer()]);
    dir = await mkdtemp(join(tmpdir(), 'appshelf-walkthrough-'));
    await symlink(EXAMPLES, join(dir, 'examples'));
    // The official images as a registry serves them: MySQL for two platforms, WordPress for one.
    const client = new RegistryClient({ host: hub.url });
    await pushBuilt(
      client,
      'library/mysql',
      buildIndex([buildImage({ layerSizes: [20_000] }), buildImage({ architecture: 'arm64' })]),
      '8.0.36',
    );
    await pushBuilt(
      client,
      'library/wordpress',
      buildImage({ layerSizes: [30_000, 4_000] }),
      '6.5.5-apache',
    );
  });
  after(async () => {
    await Promise.all([srv?.close(), hub?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships a valid RAM template with two components', async () => {
    const template = JSON.parse(
      await readFile(join(EXAMPLES, 'wordpress-mysql/template.json'), 'utf8'),
    ) as unknown;
    const checked = validateRamTemplate(template);
    expect(checked.ok, JSON.stringify(checked)).to.equal(true);
    const apps = (template as { apps: { service_cname: string; share_image: string }[] }).apps;
    expect(apps.map((a) => [a.service_cname, a.share_image])).to.deep.equal([
      ['MySQL', 'docker.io/library/mysql:8.0.36'],
      ['WordPress', 'docker.io/library/wordpress:6.5.5-apache'],
    ]);
  });

  it('runs every command of the walkthrough: push, list, install, export', async () => {
    const commands = await walkthroughCommands();
    expect(commands.map((c) => c.replace(/^echo "\$KEY" \| /, '').split(' ')[2])).to.deep.equal([
      'login',
      'push',
      'versions',
      'package',
      'list',
      'search',
      'install',
      'export',
    ]);
    for (const command of commands) {
      const piped = /^echo "\$KEY" \| (.*)$/.exec(command);
      const line = (piped ? piped[1]! : command)
        .replaceAll('localhost:8080', srv!.host)
        .replaceAll('docker.io/library/', `${hub!.host}/library/`);
      const [npx, appshelf, ...args] = line.split(/\s+/);
      expect([npx, appshelf], command).to.deep.equal(['npx', 'appshelf']);
      const run = await cli.run(args, piped ? { stdin: `${ADMIN_KEY}\n` } : {});
      expect(run.code, `${command}\n${run.stderr}`).to.equal(0);
    }

    const install = JSON.parse(await readFile(join(dir, 'wordpress-install.json'), 'utf8')) as {
      group_version: string;
      apps: { share_image: string }[];
    };
    expect(install.group_version).to.equal('6.5.5');
    for (const app of install.apps)
      expect(app.share_image).to.match(new RegExp(`^${srv!.host}/admin/wordpress@sha256:`));
    expect((await stat(join(dir, 'wordpress-6.5.5.tar'))).size).to.be.greaterThan(50_000);
    // On the shelf: anyone finds it.
    const found = (await (await fetch(`${srv!.url}/api/v1/apps/admin/wordpress`)).json()) as {
      onShelf: boolean;
      displayName: string;
      latestVersion: string;
    };
    expect(found).to.include({ onShelf: true, displayName: 'WordPress', latestVersion: '6.5.5' });
  });
});
