/** A small raw-HTTP /v2 client for tests: token flow, blob and manifest pushes. */
import { createHash } from 'node:crypto';
import { ADMIN_KEY } from './server.js';

export const sha256 = (data: Buffer | string): string =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface OciErrorBody {
  errors: { code: string; message: string; detail?: unknown }[];
}

export class TestRegistryClient {
  private tokens = new Map<string, string>();

  constructor(
    readonly base: string,
    readonly credentials: { username: string; password: string } | null = {
      username: 'admin',
      password: ADMIN_KEY,
    },
  ) {}

  /** Fetches (and caches) a token for the given scope through the realm the registry announces. */
  async token(scope: string): Promise<string | undefined> {
    const cached = this.tokens.get(scope);
    if (cached) return cached;
    const url = new URL('/v2/token', this.base);
    url.searchParams.set('service', 'appshelf');
    url.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (this.credentials) {
      headers.authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    }
    const res = await fetch(url, { headers });
    if (res.status !== 200) return undefined;
    const { token } = (await res.json()) as { token: string };
    this.tokens.set(scope, token);
    return token;
  }

  async request(
    method: string,
    path: string,
    options: { scope?: string; body?: Buffer | string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const scope = options.scope ?? scopeFor(method, path);
    if (scope) {
      const token = await this.token(scope);
      if (token) headers.authorization = `Bearer ${token}`;
    }
    return fetch(new URL(path, this.base), {
      method,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
      redirect: 'manual',
    });
  }

  /** Pulls a blob, hashing it as it streams (never held whole); its status, digest and size. */
  async pullBlob(
    repo: string,
    digest: string,
  ): Promise<{ status: number; digest: string; size: number }> {
    const res = await this.request('GET', `/v2/${repo}/blobs/${digest}`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { status: res.status, digest: `sha256:${hash.digest('hex')}`, size };
  }

  /** Monolithic upload (POST + PUT). Returns the final response. */
  async pushBlob(repo: string, data: Buffer | string): Promise<{ status: number; digest: string }> {
    const digest = sha256(data);
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) return { status: start.status, digest };
    const location = new URL(start.headers.get('location')!, this.base);
    location.searchParams.set('digest', digest);
    const put = await this.request('PUT', location.pathname + location.search, {
      body: typeof data === 'string' ? Buffer.from(data) : data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    return { status: put.status, digest };
  }

  async pushManifest(
    repo: string,
    reference: string,
    manifest: object | string,
    mediaType = 'application/vnd.oci.image.manifest.v1+json',
  ): Promise<Response> {
    const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    return this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      body,
      headers: { 'content-type': mediaType },
    });
  }

  /** Pushes a small image (config + one layer) and returns its manifest digest. */
  async pushImage(
    repo: string,
    tag: string,
    seed = tag,
  ): Promise<{ digest: string; manifest: object; blobs: string[] }> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
    const layer = Buffer.from(`layer of ${repo}:${tag}:${seed}`);
    const c = await this.pushBlob(repo, config);
    const l = await this.pushBlob(repo, layer);
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: c.digest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: l.digest,
          size: layer.length,
        },
      ],
    };
    const res = await this.pushManifest(repo, tag, manifest);
    if (res.status !== 201)
      throw new Error(`push ${repo}:${tag}: ${res.status} ${await res.text()}`);
    return {
      digest: res.headers.get('docker-content-digest')!,
      manifest,
      blobs: [c.digest, l.digest],
    };
  }
}

export function scopeFor(method: string, path: string): string | undefined {
  const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(path);
  if (!m) return path.startsWith('/v2/_catalog') ? 'registry:catalog:*' : undefined;
  const action =
    method === 'GET' || method === 'HEAD'
      ? 'pull'
      : method === 'DELETE' && !path.includes('/uploads/')
        ? 'delete'
        : 'pull,push';
  return `repository:${m[1]}:${action}`;
}

export async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as OciErrorBody;
  return body.errors[0]?.code;
}
