/**
 * The web's CSS and scripts, read once at start from static/ and served under names that carry
 * their content hash (`/static/app.3f2a9c1d.css`), so browsers may cache them for a year.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'express';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

interface Asset {
  url: string;
  type: string;
  body: Buffer;
}

export class StaticAssets {
  private readonly byName = new Map<string, Asset>();
  private readonly byUrl = new Map<string, Asset>();

  constructor(dir = fileURLToPath(new URL('./static/', import.meta.url))) {
    for (const file of readdirSync(dir)) {
      const ext = extname(file);
      const type = TYPES[ext];
      if (!type) continue;
      const body = readFileSync(join(dir, file));
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
      const asset = { url: `/static/${file.slice(0, -ext.length)}.${hash}${ext}`, type, body };
      this.byName.set(file, asset);
      this.byUrl.set(asset.url, asset);
    }
  }

  /** The hashed URL of `file` (a name in static/); throws for an unknown file (a typo in a page). */
  url(file: string): string {
    const asset = this.byName.get(file);
    if (!asset) throw new Error(`no static file ${file}`);
    return asset.url;
  }

  readonly handler: RequestHandler = (req, res, next) => {
    const asset = this.byUrl.get(req.path);
    if (!asset) return void next();
    res.set({
      'Content-Type': asset.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      'X-Content-Type-Options': 'nosniff',
      'Content-Length': String(asset.body.length),
    });
    if (asset.type === 'image/svg+xml')
      res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  };
}
