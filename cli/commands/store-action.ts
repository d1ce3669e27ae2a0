/** The work of `install`, `info` and `versions` (loaded only when they run). */
import { writeFile } from 'node:fs/promises';
import { formatRef, parseAppRef, type AppRef } from '../app-ref.js';
import type { Context } from '../context.js';
import { defaultVersion } from '../default-version.js';
import { usage } from '../errors.js';
import { json, shortDigest, table } from '../format.js';
import type { StoreApi } from '../store-api.js';
import {
  appPath,
  versionPath,
  type AppView,
  type StatsView,
  type VersionDetail,
  type VersionView,
} from '../store-views.js';

export interface InstallOptions {
  output?: string;
  json?: boolean;
}

export interface InfoOptions {
  days: string;
  json?: boolean;
}

/** An app reference that must not name a version (`versions`, `list`, `package` ...). */
export function parseAppOnly(text: string, command: string): AppRef {
  const ref = parseAppRef(text);
  if (ref.version || ref.digest)
    throw usage(
      `${command} takes an app, not a version ("${text}")`,
      `write [<store>/]<namespace>/<app>, e.g. appshelf ${command} acme/hello`,
    );
  return ref;
}

/** A version reference by tag: the API names versions by tag, not by digest. */
export function parseVersionRef(text: string, required: boolean): AppRef {
  const ref = parseAppRef(text);
  if (ref.digest)
    throw usage(
      `"${text}": the store names versions by tag, not by digest`,
      'write <namespace>/<app>:<version>',
    );
  if (required && !ref.version)
    throw usage(`${text} names no version`, 'write <namespace>/<app>:<version>');
  return ref;
}

/** The version to use: the one named, else the newest listed one (default-version.ts). */
async function versionOf(api: StoreApi, ref: AppRef): Promise<string> {
  return ref.version ?? defaultVersion(api, ref);
}

const day = (iso: string) => iso.slice(0, 10);

function versionRows(list: VersionView[]): string[] {
  const rows = list.map((v) => [
    v.version,
    v.state,
    v.rainbondVersion || '-',
    v.arch || '-',
    day(v.updatedAt),
    shortDigest(v.manifestDigest),
  ]);
  return table(['VERSION', 'STATE', 'RAINBOND', 'ARCH', 'UPDATED', 'DIGEST'], rows);
}

export async function install(ctx: Context, refText: string, opts: InstallOptions): Promise<void> {
  const ref = parseVersionRef(refText, false);
  const store = await ctx.store(ref.store);
  const api = await ctx.api(store, 'optional');
  const version = await versionOf(api, ref);
  const template = await api.get<Record<string, unknown>>(versionPath(ref, version, '/install'));
  const text = JSON.stringify(template, null, 2);
  if (!opts.output) return void ctx.io.out(text);
  await writeFile(opts.output, `${text}\n`);
  const reference = formatRef(store.host, ref, version);
  if (opts.json)
    ctx.io.out(
      json({
        reference,
        version,
        output: opts.output,
        components: Array.isArray(template.apps) ? template.apps.length : 0,
      }),
    );
  else ctx.io.out(`wrote the install template of ${reference} to ${opts.output}`);
}

export async function info(ctx: Context, refText: string, opts: InfoOptions): Promise<void> {
  const ref = parseVersionRef(refText, false);
  const days = Number(opts.days);
  if (!Number.isInteger(days) || days < 1 || days > 365)
    throw usage(`--days ${opts.days}: expected a whole number from 1 to 365`, 'e.g. --days 7');
  const store = await ctx.store(ref.store);
  const api = await ctx.api(store, 'optional');
  const out = (line: string) => ctx.io.out(line);
  if (ref.version) {
    const { template: _template, ...version } = await api.get<VersionDetail>(
      versionPath(ref, ref.version),
    );
    if (opts.json)
      return void out(
        json({ store: store.host, namespace: ref.namespace, app: ref.app, ...version }),
      );
    out(`${formatRef(store.host, ref, version.version)}  ${version.state}`);
    if (version.description) out(version.description);
    out(`bundle    ${version.manifestDigest}`);
    out(`template  ${version.templateDigest}`);
    if (version.rainbondVersion) out(`rainbond  ${version.rainbondVersion}`);
    out(`updated   ${version.updatedAt}`);
    out('');
    const rows = version.components.map((c) => [
      c.serviceKey,
      c.name || '-',
      c.imageDigest ? shortDigest(c.imageDigest) : '(not copied yet)',
      c.sourceRef,
    ]);
    for (const line of table(['COMPONENT', 'NAME', 'IMAGE', 'SOURCE'], rows)) out(line);
    return;
  }
  const [app, { versions }, stats] = await Promise.all([
    api.get<AppView>(appPath(ref)),
    api.get<{ versions: VersionView[] }>(appPath(ref, '/versions')),
    api.get<StatsView>(appPath(ref, '/stats'), { query: { days } }),
  ]);
  if (opts.json) return void out(json({ store: store.host, app, versions, stats }));
  const sum = (k: 'visits' | 'installs' | 'pulls') => stats.days.reduce((n, d) => n + d[k], 0);
  out(
    `${store.host}/${app.namespace}/${app.name}${app.displayName && app.displayName !== app.name ? `  ${app.displayName}` : ''}`,
  );
  if (app.summary) out(app.summary);
  const shelf = app.onShelf
    ? 'on the shelf'
    : app.listed
      ? 'listed, not on the shelf until it has a package'
      : 'not listed';
  out(`shelf     ${shelf} (${app.publishType})`);
  out(`latest    ${app.latestVersion ?? '-'}`);
  if (app.tags.length) out(`tags      ${app.tags.join(', ')}`);
  if (app.categories.length) out(`category  ${app.categories.join(', ')}`);
  if (app.homeUrl) out(`home      ${app.homeUrl}`);
  out(
    `packages  ${app.packages.map((p) => `${p.name} (${p.versions.join(', ')})`).join('; ') || '-'}`,
  );
  out(
    `stats     ${stats.totals.installs} installs, ${stats.totals.pulls} pulls, ${stats.totals.visits} visits; last ${days} days: ${sum('installs')} installs, ${sum('pulls')} pulls, ${sum('visits')} visits`,
  );
  if (versions.length === 0) return void ctx.io.err(`${app.namespace}/${app.name} has no versions`);
  out('');
  for (const line of versionRows(versions)) out(line);
}

export async function versions(
  ctx: Context,
  refText: string,
  opts: { json?: boolean },
): Promise<void> {
  const ref = parseAppOnly(refText, 'versions');
  const store = await ctx.store(ref.store);
  const { versions: list } = await (
    await ctx.api(store, 'optional')
  ).get<{ versions: VersionView[] }>(appPath(ref, '/versions'));
  if (opts.json) return void ctx.io.out(json(list));
  if (list.length === 0) return void ctx.io.err(`${ref.namespace}/${ref.app} has no versions`);
  for (const line of versionRows(list)) ctx.io.out(line);
}
