/** The install template points a plugin at the store's copy of its image when the store holds one. */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { installTemplate } from '../../server/rainstore/install-template.js';
import type { AppRow, VersionRow } from '../../server/store/app-access.js';

describe('rainstore: plugin images in the install template', () => {
  const app = {
    namespace: 'acme',
    name: 'wordpress',
    appKey: 'k1',
    displayName: 'WordPress',
  } as AppRow;
  let row: VersionRow;
  before(async () => {
    const template = await readFile(
      new URL('../fixtures/ram/valid/wordpress-mysql.json', import.meta.url),
      'utf8',
    );
    row = { version: '1.2.0', state: 'ready', template } as VersionRow;
  });
  const plugin = (t: Record<string, unknown>) =>
    (t.plugins as { share_image: string; plugin_image: Record<string, unknown> }[])[0]!;
  const pull = { user: 'robot', password: 'secret' };

  it('uses <version>-plugin-<plugin_key> in the app repository when the store holds it', async () => {
    const asked: string[] = [];
    const served = await installTemplate(
      app,
      row,
      'store.site.internal',
      new Set(),
      pull,
      (repo, tag) => {
        asked.push(`${repo}:${tag}`);
        return true;
      },
    );
    const key = '8bad419b345ff105069990306d3caf83';
    expect(asked).to.deep.equal([`acme/wordpress:1.2.0-plugin-${key}`]);
    expect(plugin(served).share_image).to.equal(
      `store.site.internal/acme/wordpress:1.2.0-plugin-${key}`,
    );
    expect(plugin(served).plugin_image).to.include({
      hub_url: 'store.site.internal',
      namespace: 'acme/wordpress',
      hub_user: 'robot',
      hub_password: 'secret',
    });
  });

  it('leaves a plugin the store does not hold where the template names it', async () => {
    const served = await installTemplate(
      app,
      row,
      'store.site.internal',
      new Set(),
      pull,
      () => false,
    );
    expect(plugin(served).share_image).to.equal(
      'hub.appshelf.example/acme/perf-analyze:1.4.2_6d1e0c9b',
    );
  });
});
