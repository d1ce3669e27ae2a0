/**
 * What `appshelf rules ...` does: GET/PUT /api/v1/namespaces/{ns}/immutability, GET/PUT
 * …/retention and POST …/retention/run (an app's: /api/v1/apps/{ns}/{app}/retention). A change
 * reads the rules first and changes only what the command line names: PUT replaces them all.
 */
import type {
  ImmutabilityRules,
  RetentionReport,
  RetentionRules,
} from '../../schemas/governance.js';
import { plural } from '../../schemas/plural.js';
import type { Context } from '../context.js';
import { usage } from '../errors.js';
import { bytes, json, shortDigest, table } from '../format.js';
import type { RetentionOptions } from './rules.js';

const ns = (namespace: string): string => `/namespaces/${encodeURIComponent(namespace)}`;
const retentionPath = (namespace: string, app: string | undefined): string =>
  app === undefined
    ? `${ns(namespace)}/retention`
    : `/apps/${encodeURIComponent(namespace)}/${encodeURIComponent(app)}/retention`;

export async function show(
  ctx: Context,
  namespace: string,
  opts: { app?: string; json?: boolean },
): Promise<void> {
  const api = await ctx.api(await ctx.store(), 'required');
  const immutability = await api.get<ImmutabilityRules>(`${ns(namespace)}/immutability`);
  const retention = await api.get<RetentionRules>(retentionPath(namespace, opts.app));
  if (opts.json) return ctx.io.out(json({ immutability, retention }));
  for (const line of immutabilityLines(namespace, immutability)) ctx.io.out(line);
  for (const line of retentionLines(namespace, opts.app, retention)) ctx.io.out(line);
}

export async function immutability(
  ctx: Context,
  namespace: string,
  opts: { versions?: boolean; tagPattern?: string[]; clearPatterns?: boolean; json?: boolean },
): Promise<void> {
  if (opts.versions === undefined && opts.tagPattern === undefined && !opts.clearPatterns)
    throw usage('nothing to change', 'give --versions on|off, --tag-pattern or --clear-patterns');
  const api = await ctx.api(await ctx.store(), 'required');
  const path = `${ns(namespace)}/immutability`;
  const current = await api.get<ImmutabilityRules>(path);
  const body: ImmutabilityRules = {
    versions: opts.versions ?? current.versions,
    tagPatterns: opts.tagPattern ?? (opts.clearPatterns ? [] : current.tagPatterns),
  };
  const saved = await api.put<ImmutabilityRules>(path, { body });
  if (opts.json) return ctx.io.out(json(saved));
  for (const line of immutabilityLines(namespace, saved)) ctx.io.out(line);
}

export async function retention(
  ctx: Context,
  namespace: string,
  opts: RetentionOptions,
): Promise<void> {
  const given: Partial<RetentionRules> = {};
  for (const name of ['keepNewest', 'keepPulledDays', 'untaggedHours'] as const) {
    const value = opts[name];
    if (value !== undefined) given[name] = value === 'none' ? null : value;
  }
  if (Object.keys(given).length === 0)
    throw usage(
      'nothing to change',
      'give --keep-newest, --keep-pulled-days or --untagged-hours (a number, or none)',
    );
  const api = await ctx.api(await ctx.store(), 'required');
  const path = retentionPath(namespace, opts.app);
  const current = await api.get<RetentionRules>(path);
  const saved = await api.put<RetentionRules>(path, { body: { ...current, ...given } });
  if (opts.json) return ctx.io.out(json(saved));
  for (const line of retentionLines(namespace, opts.app, saved)) ctx.io.out(line);
}

export async function run(
  ctx: Context,
  namespace: string,
  opts: { app?: string; dryRun?: boolean; force?: boolean; json?: boolean },
): Promise<void> {
  const api = await ctx.api(await ctx.store(), 'required');
  const report = await api.post<RetentionReport>(`${retentionPath(namespace, opts.app)}/run`, {
    query: { dryRun: opts.dryRun === true, force: opts.force === true },
  });
  if (opts.json) return ctx.io.out(json(report));
  for (const line of reportLines(report)) ctx.io.out(line);
}

function immutabilityLines(namespace: string, r: ImmutabilityRules): string[] {
  return [
    `${namespace}: published versions ${r.versions ? 'immutable' : 'not immutable'}; ` +
      `tag patterns: ${r.tagPatterns.length ? r.tagPatterns.join(', ') : 'none'}`,
  ];
}

function retentionLines(namespace: string, app: string | undefined, r: RetentionRules): string[] {
  const rule = (n: number | null, text: (n: number) => string) => (n === null ? [] : [text(n)]);
  const rules = [
    ...rule(r.keepNewest, (n) => `keep the ${n} newest versions`),
    ...rule(r.keepPulledDays, (n) => `keep versions used in the last ${n} days`),
    ...rule(r.untaggedHours, (n) => `remove untagged manifests after ${n} hours`),
  ];
  const whose = app === undefined ? namespace : `${namespace}/${app}`;
  return [`${whose}: retention: ${rules.length ? rules.join('; ') : 'no rules'}`];
}

/** What went (or would go) and why, what stays and why, and what GC freed. */
function reportLines(r: RetentionReport): string[] {
  const verb = r.dryRun ? 'would remove' : 'removed';
  const lines: string[] = [];
  const gone = [
    ...r.removed.map((v) => [
      `${v.repository}:${v.version}`,
      v.forced ? `${v.reason} (forced past: ${v.forced})` : v.reason,
    ]),
    ...r.untagged.map((m) => [`${m.repository}@${shortDigest(m.digest)}`, m.reason]),
  ];
  if (gone.length) lines.push(...table([verb.toUpperCase(), 'WHY'], gone));
  if (r.kept.length)
    lines.push(
      ...table(
        ['KEPT', 'WHY'],
        r.kept.map((k) => [`${k.repository}:${k.version}`, k.kept.join(', ')]),
      ),
    );
  const scope = r.app === null ? r.namespace : `${r.namespace}/${r.app}`;
  const summary = `${scope}: ${verb} ${plural(r.removed.length, 'version')} and ${plural(r.untagged.length, 'untagged manifest')}`;
  lines.push(
    r.gc
      ? `${summary}; gc freed ${bytes(r.gc.bytesFreed)} (${plural(r.gc.blobsDeleted, 'blob')})`
      : `${summary} (dry run: nothing changed)`,
  );
  return lines;
}
