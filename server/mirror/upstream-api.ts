/**
 * The upstream store's API (`/api/v1`), as the mirror reads it: who the key belongs to, which
 * apps there are, an app's listing, its versions and logo. Every request goes through the
 * guarded fetch (each hop, redirects included, passes the outbound policy) with the access key
 * as bearer credential; every answer is validated before the mirror uses it.
 */
import { z } from 'zod';
import type { AppRef } from '../store/version-index.js';
import { matchesGlob } from './app-filter.js';

const MAX_JSON_BYTES = 8 * 1024 * 1024;
const MAX_LOGO_BYTES = 256 * 1024;
const SEARCH_PAGE = 100;
/** Search pages read at most (10 000 apps): a bound against an upstream that never ends. */
const MAX_SEARCH_PAGES = 100;

const Me = z.looseObject({ name: z.string().min(1) });
const Named = z.looseObject({ namespace: z.string(), name: z.string() });
const PublisherPage = z.looseObject({ apps: z.array(Named) });
const SearchPage = z.looseObject({ items: z.array(Named), total: z.number() });

export const UpstreamPackage = z.looseObject({
  name: z.string(),
  type: z.literal('free'),
  versions: z.array(z.string()),
});
export const UpstreamApp = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  displayName: z.string(),
  summary: z.string(),
  introduction: z.string(),
  logo: z.string().nullable(),
  tags: z.array(z.string()),
  categories: z.array(z.string()),
  sourceUrl: z.string(),
  homeUrl: z.string(),
  publishType: z.enum(['public', 'private']),
  listed: z.boolean(),
  packages: z.array(UpstreamPackage),
});
export type UpstreamApp = z.infer<typeof UpstreamApp>;

export const UpstreamVersion = z.looseObject({
  version: z.string(),
  state: z.string(),
  manifestDigest: z.string(),
});
export type UpstreamVersion = z.infer<typeof UpstreamVersion>;
const VersionList = z.looseObject({ versions: z.array(UpstreamVersion) });

/** An answer the mirror cannot use: names the request, so a run's error says where it stopped. */
export class UpstreamApiError extends Error {
  override readonly name = 'UpstreamApiError';
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class UpstreamApi {
  constructor(
    /** The upstream store's origin, `https://store.example.com`. */
    private readonly url: string,
    private readonly key: string,
    private readonly fetchFn: typeof fetch,
  ) {}

  /** The key's owner: the user name the upstream's registry wants beside the key. */
  async userName(signal?: AbortSignal): Promise<string> {
    return (await this.json('/users/me', Me, signal)).name;
  }

  /**
   * The upstream apps the globs name and the key may see. A literal namespace is read from its
   * publisher page (unlisted apps included when the key's owner is a member); a namespace glob
   * needs the search, which holds the apps on the shelf.
   */
  async matchingApps(globs: readonly string[], signal?: AbortSignal): Promise<AppRef[]> {
    const found = new Map<string, AppRef>();
    const add = (app: AppRef): void => {
      const key = `${app.namespace}/${app.name}`;
      if (globs.some((g) => matchesGlob(key, g))) found.set(key, app);
    };
    const literal = new Set<string>();
    let searched = false;
    for (const glob of globs) {
      const namespace = glob.split('/')[0] ?? '';
      if (/[*?]/.test(namespace)) {
        if (!searched) for (const app of await this.allListed(signal)) add(app);
        searched = true;
      } else literal.add(namespace);
    }
    for (const namespace of literal) {
      const page = await this.json(
        `/publishers/${encodeURIComponent(namespace)}`,
        PublisherPage,
        signal,
        true,
      );
      for (const app of page?.apps ?? []) add(app);
    }
    return [...found.values()].sort((a, b) =>
      `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
    );
  }

  async app(ref: AppRef, signal?: AbortSignal): Promise<UpstreamApp | undefined> {
    return this.json(appPath(ref), UpstreamApp, signal, true);
  }

  async versions(ref: AppRef, signal?: AbortSignal): Promise<UpstreamVersion[]> {
    return (await this.json(`${appPath(ref)}/versions`, VersionList, signal)).versions;
  }

  /** The logo's bytes and type, or undefined when the app has none. */
  async logo(
    ref: AppRef,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; type: string } | undefined> {
    const res = await this.send(`${appPath(ref)}/logo`, signal);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    const bytes = await this.body(res, `${appPath(ref)}/logo`, MAX_LOGO_BYTES);
    return { bytes, type: res.headers.get('content-type') ?? '' };
  }

  private async allListed(signal?: AbortSignal): Promise<AppRef[]> {
    const apps: AppRef[] = [];
    for (let page = 1; page <= MAX_SEARCH_PAGES; page++) {
      const result = await this.json(
        `/search?q=&sort=name&page=${page}&pageSize=${SEARCH_PAGE}`,
        SearchPage,
        signal,
      );
      apps.push(...result.items);
      if (result.items.length < SEARCH_PAGE || apps.length >= result.total) break;
    }
    return apps;
  }

  private async json<T>(
    path: string,
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
    missingOk: true,
  ): Promise<T | undefined>;
  private async json<T>(
    path: string,
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
  ): Promise<T>;
  private async json<T>(
    path: string,
    schema: z.ZodType<T>,
    signal: AbortSignal | undefined,
    missingOk = false,
  ): Promise<T | undefined> {
    const res = await this.send(path, signal);
    if (res.status === 404 && missingOk) {
      await res.body?.cancel();
      return undefined;
    }
    const text = (await this.body(res, path, MAX_JSON_BYTES)).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new UpstreamApiError(`upstream GET /api/v1${path}: the answer is not JSON`, 200, {
        cause: err,
      });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw new UpstreamApiError(
        `upstream GET /api/v1${path}: unexpected answer (${z.prettifyError(parsed.error)})`,
      );
    return parsed.data;
  }

  private async send(path: string, signal: AbortSignal | undefined): Promise<Response> {
    try {
      return await this.fetchFn(`${this.url}/api/v1${path}`, {
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.key}`,
          'user-agent': 'appshelf-mirror/0.1',
        },
        redirect: 'error', // the store API never redirects; a redirect is not followed with the key
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      const reason = (err as { cause?: { message?: string } }).cause?.message;
      throw new UpstreamApiError(
        `upstream GET /api/v1${path} failed: ${reason ?? (err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
  }

  /** The body of a 2xx answer (at most `limit` bytes); anything else is an UpstreamApiError. */
  private async body(res: Response, path: string, limit: number): Promise<Buffer> {
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not the store's error body: the start of the text says enough
      }
      throw new UpstreamApiError(
        `upstream GET /api/v1${path}: ${res.status} ${message}`.trim(),
        res.status,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > limit) {
        await res.body?.cancel().catch(() => undefined);
        throw new UpstreamApiError(`upstream GET /api/v1${path}: answer over ${limit} bytes`);
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks);
  }
}

function appPath(ref: AppRef): string {
  return `/apps/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`;
}
