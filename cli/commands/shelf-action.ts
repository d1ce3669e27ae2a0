/** The work of `list`, `unlist` and `package ...` (loaded only when they run). */
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { json, table } from '../format.js';
import { appPath, type AppView, type PackageView } from '../store-views.js';
import { parseAppOnly } from './store-action.js';

export interface PackageCreateOptions {
  versions: string;
  json?: boolean;
}

export async function setListed(
  ctx: Context,
  refText: string,
  listed: boolean,
  opts: { json?: boolean },
): Promise<void> {
  const ref = parseAppOnly(refText, listed ? 'list' : 'unlist');
  const store = await ctx.store(ref.store);
  const app = await (
    await ctx.api(store, 'required')
  ).put<AppView>(appPath(ref, '/shelf'), { body: { listed } });
  if (opts.json) return void ctx.io.out(json(app));
  const name = `${app.namespace}/${app.name}`;
  if (!listed) return void ctx.io.out(`${name} is not listed`);
  if (app.onShelf) return void ctx.io.out(`${name} is listed and on the shelf`);
  ctx.io.out(`${name} is listed`);
  ctx.io.err(
    `it is on the shelf once it has a package: appshelf package create ${name} <name> --versions <version>`,
  );
}

export async function createPackage(
  ctx: Context,
  refText: string,
  name: string,
  opts: PackageCreateOptions,
): Promise<void> {
  const ref = parseAppOnly(refText, 'package create');
  const versions = [
    ...new Set(
      opts.versions
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    ),
  ];
  if (versions.length === 0)
    throw usage('--versions names no version', 'e.g. --versions 1.0.0,1.1.0');
  const store = await ctx.store(ref.store);
  const created = await (
    await ctx.api(store, 'required')
  ).post<PackageView>(appPath(ref, '/packages'), { body: { name, type: 'free', versions } });
  if (opts.json) return void ctx.io.out(json(created));
  ctx.io.out(
    `created package ${created.name} of ${ref.namespace}/${ref.app} (${created.versions.join(', ')})`,
  );
}

export async function listPackages(
  ctx: Context,
  refText: string,
  opts: { json?: boolean },
): Promise<void> {
  const ref = parseAppOnly(refText, 'package list');
  const store = await ctx.store(ref.store);
  const { packages } = await (
    await ctx.api(store, 'optional')
  ).get<{ packages: PackageView[] }>(appPath(ref, '/packages'));
  if (opts.json) return void ctx.io.out(json(packages));
  if (packages.length === 0) return void ctx.io.err(`${ref.namespace}/${ref.app} has no packages`);
  const rows = packages.map((p) => [
    p.name,
    p.type,
    p.createdAt.slice(0, 10),
    p.versions.join(', '),
  ]);
  for (const line of table(['PACKAGE', 'TYPE', 'CREATED', 'VERSIONS'], rows)) ctx.io.out(line);
}

export async function deletePackage(
  ctx: Context,
  refText: string,
  name: string,
  opts: { json?: boolean },
): Promise<void> {
  const ref = parseAppOnly(refText, 'package delete');
  const store = await ctx.store(ref.store);
  await (
    await ctx.api(store, 'required')
  ).delete(appPath(ref, `/packages/${encodeURIComponent(name)}`));
  ctx.io.out(
    opts.json
      ? json({ app: `${ref.namespace}/${ref.app}`, deleted: name })
      : `deleted package ${name} of ${ref.namespace}/${ref.app}`,
  );
}
