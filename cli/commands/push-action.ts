/** The work of `appshelf push` (loaded only when it runs). */
import { readFile } from 'node:fs/promises';
import {
  formatRamError,
  validateRamTemplate,
  type RamComponent,
  type RamTemplate,
} from '../../schemas/ram.js';
import { TAG_PATTERN } from '../../schemas/oci.js';
import { plural } from '../../schemas/plural.js';
import { parseAppRef, repositoryOf } from '../app-ref.js';
import type { Context } from '../context.js';
import { failure, usage } from '../errors.js';
import { json } from '../format.js';
import { openImageSource, parseImageSource, type OpenedSource } from '../image-source.js';
import { describeStats, progressPrinter } from '../progress.js';
import { pushApp } from '../push-app.js';
import { pushableTemplate } from '../template-credentials.js';

async function readTemplate(
  file: string,
): Promise<{ bytes: Buffer; template: RamTemplate; warnings: string[] }> {
  const bytes = await readFile(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw failure(
      `${file} is not JSON (${(err as Error).message})`,
      'give the RAM template as exported by Rainbond (template.json)',
      err,
    );
  }
  const result = validateRamTemplate(parsed);
  if (!result.ok)
    throw failure(`${file}: ${formatRamError(result)}`, 'fix the template and push again');
  const pushable = pushableTemplate(bytes, result.template);
  return { ...pushable, warnings: [...result.warnings, ...pushable.warnings] };
}

/** `<service_key>=<source>` pairs, checked against the template's components. */
function imageOverrides(pairs: string[], components: RamComponent[]): Map<string, string> {
  const keys = components.map((c) => c.service_key);
  const map = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw usage(
        `--image ${pair}: expected <service_key>=<source>`,
        'e.g. --image web=docker://registry.example.com/acme/web:1.0',
      );
    const key = pair.slice(0, eq);
    if (!keys.includes(key))
      throw usage(
        `--image ${pair}: the template has no component "${key}"`,
        `its components are ${keys.join(', ') || '(none)'}`,
      );
    map.set(key, pair.slice(eq + 1));
  }
  return map;
}

export interface PushOptions {
  image?: string[];
  json?: boolean;
  force?: boolean;
}

export async function push(
  ctx: Context,
  file: string,
  refText: string,
  opts: PushOptions,
): Promise<void> {
  const ref = parseAppRef(refText);
  if (ref.digest)
    throw usage(
      `${refText}: push writes a version tag, not a digest`,
      'write <namespace>/<app>:<version>',
    );
  const { bytes, template, warnings } = await readTemplate(file);
  const version = ref.version ?? template.group_version;
  if (!TAG_PATTERN.test(version))
    throw usage(
      `the version "${version}" is not a valid tag`,
      'name one in the reference: <namespace>/<app>:<version>',
    );
  for (const w of warnings) ctx.io.err(`warning: ${w}`);
  const overrides = imageOverrides(opts.image ?? [], template.apps);

  const store = await ctx.store(ref.store);
  const sources = template.apps.map((component) => {
    const named = String(component.share_image || component.image || '');
    const text = overrides.get(component.service_key) ?? named;
    if (!text)
      throw usage(
        `component ${component.service_key} names no image`,
        `give --image ${component.service_key}=<source>`,
      );
    return { component, named, source: parseImageSource(text) };
  });
  const verbose = ctx.io.interactive || ctx.io.env.APPSHELF_PROGRESS === '1';
  const images: { serviceKey: string; source: OpenedSource; label: string }[] = [];
  let result: Awaited<ReturnType<typeof pushApp>>;
  try {
    for (const { component, named, source } of sources) {
      const label = String(component.service_cname || component.service_key);
      if (verbose && source.kind === 'daemon')
        ctx.io.err(`${label}: exporting ${source.name} from the Docker engine`);
      const opened = await openImageSource(
        source,
        (host) => ctx.credentials(host),
        named || undefined,
        ctx.signal,
      );
      images.push({ serviceKey: component.service_key, source: opened, label });
    }
    const printers = new Map(images.map((i) => [i.serviceKey, progressPrinter(ctx.io, i.label)]));
    result = await pushApp({
      store: { client: await ctx.registry(store), host: store.host },
      repository: repositoryOf(ref),
      version,
      templateBytes: bytes,
      template,
      images,
      onProgress: (key, event) => printers.get(key)?.(event),
      signal: ctx.signal,
      force: !!opts.force,
    });
  } finally {
    await Promise.all(images.map((i) => i.source.close?.()));
  }
  if (opts.json) return void ctx.io.out(json(result));
  ctx.io.err(
    `${plural(result.components.length, 'component image')}: ${describeStats(result.stats)}`,
  );
  ctx.io.out(`pushed ${result.reference}@${result.digest}`);
}
