/**
 * The Rainstore DTOs on the wire (rainstore-api.md §3): camelCase keys, every field the SDK's
 * response models require present and non-null, dates as ISO strings in UTC.
 */
import MarkdownIt from 'markdown-it';
import { logoUrl, parseStrings, type AppRow, type VersionRow } from '../store/app-access.js';
import type { StatTotals } from '../store/stats.js';
import type { CatalogEntry } from './catalog.js';
import type { Market } from './market.js';
import { isoTime } from './wire.js';

/** Raw HTML in markdown is escaped, and markdown-it refuses javascript: and data: links. */
const markdown = new MarkdownIt({ html: false, linkify: true });

export interface DtoContext {
  market: Market;
  /** The store's public base URL. */
  baseUrl: string;
}

export function versionBase(app: AppRow, v: VersionRow) {
  const resources = resourcesOf(v.template);
  return {
    appKeyID: app.appKey,
    appVersion: v.version,
    appVersionAlias: v.alias,
    desc: v.description,
    rainbondVersion: v.rainbondVersion,
    deliveryMode: 'image',
    enable: v.state === 'ready',
    updateVersion: v.updateVersion,
    arch: v.arch,
    is_plugin: v.isPlugin,
    isPlugin: v.isPlugin,
    cpu: resources.cpu,
    memory: resources.memory,
    createTime: isoTime(v.createdAt),
    updateTime: isoTime(v.updatedAt),
  };
}

export function appBase(entry: CatalogEntry, stats: StatTotals, ctx: DtoContext) {
  const { app, onShelf } = entry;
  const logo = logoUrl(app);
  return {
    appKeyID: app.appKey,
    name: app.displayName || app.name,
    desc: app.summary,
    logo: logo ? `${ctx.baseUrl}${logo}` : '',
    tags: parseStrings(app.tags),
    versions: entry.versions.map((v) => versionBase(app, v)),
    publishType: app.publishType,
    installCount: stats.installs,
    downloadCount: stats.pulls,
    showCount: stats.visits,
    startCount: 0,
    devStatus: onShelf ? 'release' : '',
    isOfficial: false,
    status: onShelf ? 'on' : 'off',
    marketID: ctx.market.id,
    marketName: ctx.market.name,
    marketURL: ctx.baseUrl,
    appDetailURL: `${ctx.baseUrl}/apps/${encodeURIComponent(app.namespace)}/${encodeURIComponent(app.name)}`,
    introduction: app.introduction,
    introductionHTML: app.introduction ? markdown.render(app.introduction) : '',
    createTime: isoTime(app.createdAt),
    updateTime: isoTime(app.updatedAt),
  };
}

export function appDetail(entry: CatalogEntry, stats: StatTotals, ctx: DtoContext) {
  return {
    ...appBase(entry, stats, ctx),
    appClassificationID: parseStrings(entry.app.categories)[0] ?? '',
    orgID: '',
  };
}

export function versionDetail(app: AppRow, v: VersionRow, template: string, ctx: DtoContext) {
  return {
    appKeyID: app.appKey,
    appName: app.displayName || app.name,
    version: v.version,
    versionAlias: v.alias,
    description: v.description,
    rainbondVersion: v.rainbondVersion,
    deliveryMode: 'image',
    enable: v.state === 'ready',
    templateType: 'RAM',
    template,
    marketID: ctx.market.id,
    updateVersion: v.updateVersion,
    arch: v.arch,
    is_plugin: v.isPlugin,
    isPlugin: v.isPlugin,
    createTime: isoTime(v.createdAt),
    updateTime: isoTime(v.updatedAt),
  };
}

/**
 * Millicores and MiB the version asks for: the sum over components of `container_cpu` and
 * `init_memory` times `min_node` (from `extend_method_map`, else the component's `cpu`/`memory`);
 * null when no component says.
 */
function resourcesOf(templateJson: string): { cpu: number | null; memory: number | null } {
  let parts: unknown;
  try {
    parts = (JSON.parse(templateJson) as { apps?: unknown }).apps;
  } catch {
    return { cpu: null, memory: null };
  }
  let cpu: number | null = null;
  let memory: number | null = null;
  for (const part of Array.isArray(parts) ? (parts as Record<string, unknown>[]) : []) {
    const ext = (
      typeof part.extend_method_map === 'object' && part.extend_method_map !== null
        ? part.extend_method_map
        : {}
    ) as Record<string, unknown>;
    const nodes = numberOf(ext.min_node) ?? 1;
    const c = numberOf(ext.container_cpu) ?? numberOf(part.cpu);
    const m = numberOf(ext.init_memory) ?? numberOf(part.memory);
    if (c !== undefined) cpu = (cpu ?? 0) + c * nodes;
    if (m !== undefined) memory = (memory ?? 0) + m * nodes;
  }
  return { cpu, memory };
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}
