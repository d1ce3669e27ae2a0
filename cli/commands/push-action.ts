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
import { describeStats } from '../progress.js';
import { progressView } from '../progress-bars.js';
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

/** `<key>=<source>` pairs, checked against the template's components and plugins. */
function imageOverrides(
  pairs: string[],
  components: RamComponent[],
  plugins: TemplatePlugin[],
): Map<string, string> {
  const serviceKeys = components.map((c) => c.service_key);
  const pluginKeys = plugins.map((p) => p.pluginKey);
  const keys = [...serviceKeys, ...pluginKeys];
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
        `its components are ${serviceKeys.join(', ') || '(none)'}${pluginKeys.length ? `; its plugins ${pluginKeys.join(', ')}` : ''}`,
      );
    map.set(key, pair.slice(eq + 1));
  }
  return map;
}

interface TemplatePlugin {
  pluginKey: string;
  named: string;
}

/** The template's plugins with a plugin_key, and the image each names (may be ''). */
function templatePlugins(template: RamTemplate): TemplatePlugin[] {
  const list = (template as { plugins?: unknown }).plugins;
  return (Array.isArray(list) ? (list as Record<string, unknown>[]) : []).flatMap((p) =>
    typeof p.plugin_key === 'string' && p.plugin_key !== ''
      ? [{ pluginKey: p.plugin_key, named: typeof p.share_image === 'string' ? p.share_image : '' }]
      : [],
  );
}

export interface PushOptions {
  image?: string[];
  skipPlugins?: boolean;
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
  const plugins = opts.skipPlugins ? [] : templatePlugins(template);
  const overrides = imageOverrides(opts.image ?? [], template.apps, plugins);

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
  const pluginSources = plugins.flatMap((p) => {
    const text = overrides.get(p.pluginKey) ?? p.named;
    return text ? [{ ...p, source: parseImageSource(text) }] : [];
  });
  const verbose = ctx.io.interactive || ctx.io.env.APPSHELF_PROGRESS === '1';
  const images: { serviceKey: string; source: OpenedSource; label: string }[] = [];
  const pluginImages: { pluginKey: string; source: OpenedSource }[] = [];
  let stopProgress = (): void => undefined;
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
    for (const { pluginKey, named, source } of pluginSources)
      pluginImages.push({
        pluginKey,
        source: await openImageSource(
          source,
          (host) => ctx.credentials(host),
          named || undefined,
          ctx.signal,
        ),
      });
    const labels = new Map(images.map((i) => [i.serviceKey, i.label]));
    const progress = progressView(ctx.io);
    stopProgress = () => progress.stop();
    result = await pushApp({
      store: { client: await ctx.registry(store), host: store.host },
      repository: repositoryOf(ref),
      version,
      templateBytes: bytes,
      template,
      images,
      plugins: pluginImages,
      onProgress: (key, event) => progress.listener(labels.get(key) ?? key)(event),
      signal: ctx.signal,
      force: !!opts.force,
    });
  } finally {
    stopProgress();
    await Promise.all([...images, ...pluginImages].map((i) => i.source.close?.()));
  }
  if (opts.json) return void ctx.io.out(json(result));
  ctx.io.err(
    `${plural(result.components.length, 'component image')}${result.plugins.length ? `, ${plural(result.plugins.length, 'plugin image')}` : ''}: ${describeStats(result.stats)}`,
  );
  ctx.io.out(`pushed ${result.reference}@${result.digest}`);
}
