/**
 * Apps for the app pages' tests, pushed as a client would and put on the shelf: `acme/shop`
 * (the three-tier sample: a storefront that needs an API that needs PostgreSQL) in 1.0 and 1.1,
 * and `acme/wordpress` (WordPress and MySQL, with secret env values).
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { withoutSourceCredentials } from '../../schemas/source-credentials.js';
import { api } from '../helpers/accounts.js';
import { TestRegistryClient } from '../helpers/registry-client.js';
import type { TestServer } from '../helpers/server.js';
import { ADMIN_KEY } from '../helpers/server.js';
import { pushBundle } from '../store/app-pushes.js';

const sample = async (name: string) =>
  withoutSourceCredentials(
    JSON.parse(
      await readFile(new URL(`../fixtures/ram/valid/${name}.json`, import.meta.url), 'utf8'),
    ) as { apps: { service_key: string }[] },
  );

async function publish(srv: TestServer, repo: string, sampleName: string, versions: string[]) {
  const reg = new TestRegistryClient(srv.url);
  const template = await sample(sampleName);
  const keys = template.apps.map((a) => a.service_key);
  for (const v of versions)
    await pushBundle(
      reg,
      repo,
      v,
      Buffer.from(JSON.stringify({ ...template, group_version: v })),
      keys,
    );
  const path = `/api/v1/apps/${repo}`;
  const pkg = await api(srv, 'POST', `${path}/packages`, {
    bearer: ADMIN_KEY,
    body: { name: 'stable', versions },
  });
  expect(pkg.status, pkg.text).to.equal(201);
  const shelf = await api(srv, 'PUT', `${path}/shelf`, {
    bearer: ADMIN_KEY,
    body: { listed: true },
  });
  expect(shelf.status, shelf.text).to.equal(200);
}

export async function publishSampleApps(srv: TestServer): Promise<void> {
  await publish(srv, 'acme/shop', 'three-tier', ['1.0', '1.1']);
  await publish(srv, 'acme/wordpress', 'wordpress-mysql', ['6.5']);
}
