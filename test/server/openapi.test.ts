/**
 * GET /api/v1/openapi.json (issue 4): the document is OpenAPI 3.1 in shape with every $ref
 * resolving, and it lists exactly the routes mounted on /api/v1 (found by walking the running
 * app's express routers), each of which answers. A few real responses are checked against the
 * response schemas the document is built from.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import type { Application } from 'express';
import type { z } from 'zod';
import { API_VERSION, buildOpenApiDocument } from '../../server/routes/openapi.js';
import * as S from '../../server/routes/openapi-schemas.js';
import { api, loginWithPhone } from '../helpers/accounts.js';
import { ADMIN_KEY, startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, unknown>;
interface Op {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, unknown>;
  security?: Record<string, unknown>[];
  operationId: string;
  requestBody?: unknown;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Op>>;
  components: { securitySchemes: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** `/apps/:ns/:app/` and `/apps/{namespace}/{app}` both become `/apps/{}/{}`. */
const shape = (path: string): string => path.replace(/:\w+|\{\w+\}/g, '{}').replace(/(.)\/$/, '$1');

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** "METHOD /path" of every route under `stack`, mount paths prefixed. */
function routesOf(stack: Layer[], prefix = ''): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      expect(layer.route.path, 'route paths are strings').to.be.a('string');
      return Object.keys(layer.route.methods).map(
        (m) => `${m.toUpperCase()} ${shape(prefix + String(layer.route!.path))}`,
      );
    }
    if (!Array.isArray(layer.handle?.stack)) return []; // middleware
    expect(layer.rawPath, 'mount paths are strings').to.be.a('string');
    const mount = layer.rawPath === '/' ? '' : String(layer.rawPath);
    return routesOf(layer.handle.stack, prefix + mount);
  });
}

/** Every `$ref` in `node`, with where it is. */
function refsOf(node: unknown, at = '#'): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((n, i) => refsOf(n, `${at}/${i}`));
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) =>
    k === '$ref' ? [[at, String(v)] as [string, string]] : refsOf(v, `${at}/${k}`),
  );
}

function resolve(doc: unknown, ref: string): unknown {
  expect(ref, 'local refs only').to.match(/^#\//);
  return ref
    .slice(2)
    .split('/')
    .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) => (node && typeof node === 'object' ? (node as Json)[key] : undefined),
      doc,
    );
}

describe('server: OpenAPI document of /api/v1', function () {
  this.timeout(20_000);
  let srv: TestServer;
  let doc: Doc;
  let express: Application | undefined;

  before(async () => {
    srv = await startTestServer();
    srv.server.on('request', (req: IncomingMessage) => {
      express ??= (req as IncomingMessage & { app?: Application }).app; // set by express as the request entered it
    });
    const res = await api<Doc>(srv, 'GET', '/api/v1/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    doc = res.body;
  });
  after(async () => {
    await srv?.close();
  });

  it('serves the document it builds, OpenAPI 3.1 in shape', () => {
    expect(doc).to.deep.equal(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(doc.openapi).to.match(/^3\.1\.\d+$/);
    expect(doc.info.title).to.be.a('string').and.not.be.empty;
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(doc.info.version).to.equal(API_VERSION).and.equal(pkg.version);
    expect(doc.paths).to.be.an('object').and.not.be.empty;
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).to.match(/^\/[\w./{}-]*$/);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(METHODS, where).to.include(method);
        expect(
          ids.has(op.operationId),
          `${where}: operationId ${op.operationId} is unique`,
        ).to.equal(false);
        ids.add(op.operationId);
        expect(Object.keys(op.responses), where).to.not.be.empty;
        const inPath = (op.parameters ?? []).filter((p) => p.in === 'path');
        expect(inPath.map((p) => p.name).sort(), `${where}: path parameters`).to.deep.equal(
          [...templated].sort(),
        );
        for (const p of inPath)
          expect(p.required, `${where}: ${p.name} is required`).to.equal(true);
        for (const requirement of op.security ?? [])
          for (const scheme of Object.keys(requirement))
            expect(doc.components.securitySchemes, where).to.have.property(scheme);
      }
    }
    expect(doc.components.securitySchemes).to.have.keys('bearer', 'cookie');
  });

  it('has every $ref resolve', () => {
    const refs = refsOf(doc);
    expect(refs.length).to.be.greaterThan(20);
    for (const [at, ref] of refs) expect(resolve(doc, ref), `${at}: ${ref}`).to.be.an('object');
  });

  it('documents exactly the routes mounted on /api/v1', () => {
    expect(express, 'the express app seen by a request').to.not.equal(undefined);
    const top = (express!.router as unknown as { stack: Layer[] }).stack;
    const mounted = top.filter((l) => l.rawPath === '/api/v1' && Array.isArray(l.handle?.stack));
    expect(mounted, 'one router on /api/v1').to.have.length(1);
    const routes = [...new Set(routesOf(mounted[0]!.handle!.stack!))].sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${shape(path)}`))
      .sort();
    expect(routes.length).to.be.greaterThan(30);
    expect(
      routes.filter((r) => !documented.includes(r)),
      'mounted, not documented',
    ).to.deep.equal([]);
    expect(
      documented.filter((r) => !routes.includes(r)),
      'documented, not mounted',
    ).to.deep.equal([]);
  });

  it('has a route answer every documented path (anonymously, without side effects)', async () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item)) {
        const url = `/api/v1${path.replace(/\{id\}/g, '1').replace(/\{(\w+)\}/g, 'x$1')}`;
        const res = await api<{ error?: { code: string; message: string } }>(
          srv,
          method.toUpperCase(),
          url,
          method === 'get' || method === 'delete' ? {} : { body: {} },
        );
        expect(
          res.body.error?.message ?? '',
          `${method.toUpperCase()} ${url} (${res.status})`,
        ).to.not.equal('no such endpoint');
      }
    }
    const none = await api<{ error: { code: string; message: string } }>(
      srv,
      'GET',
      '/api/v1/no-such-thing',
    );
    expect(none.body.error.message, 'the not-found marker this test relies on').to.equal(
      'no such endpoint',
    );
  });

  it('describes real responses with its response schemas', async () => {
    const check = async (
      schema: z.ZodType,
      method: string,
      path: string,
      body?: unknown,
    ): Promise<unknown> => {
      const res = await api(srv, method, path, {
        bearer: ADMIN_KEY,
        ...(body !== undefined ? { body } : {}),
      });
      expect(res.status, `${method} ${path}: ${res.text}`).to.be.lessThan(300);
      const parsed = schema.safeParse(res.body);
      expect(parsed.success, `${method} ${path}: ${parsed.error?.message ?? ''}`).to.equal(true);
      return res.body;
    };
    await check(S.Me, 'GET', '/api/v1/users/me');
    await check(S.Profile, 'GET', '/api/v1/users/admin');
    await check(S.CreatedKey, 'POST', '/api/v1/keys', { name: 'ci', scopes: ['read'] });
    await check(S.KeyList, 'GET', '/api/v1/keys');
    await check(S.Org, 'POST', '/api/v1/orgs', { name: 'acme' });
    await check(S.Org, 'GET', '/api/v1/orgs/acme');
    await check(S.MemberList, 'GET', '/api/v1/orgs/acme/members');
    const olive = (await loginWithPhone(srv, '+4915112341701', 'olive')).token;
    await check(S.Invited, 'PUT', '/api/v1/orgs/acme/members/olive', { role: 'member' });
    await check(S.InvitationList, 'GET', '/api/v1/orgs/acme/invitations');
    for (const [schema, method, path] of [
      [S.InvitationList, 'GET', '/api/v1/users/me/invitations'],
      [S.JoinedOrg, 'POST', '/api/v1/users/me/invitations/acme/accept'],
    ] as const) {
      const res = await api(srv, method, path, { bearer: olive });
      expect(res.status, `${method} ${path}: ${res.text}`).to.equal(200);
      expect(schema.safeParse(res.body).success, `${method} ${path}: ${res.text}`).to.equal(true);
    }
    await check(S.MemberList, 'PUT', '/api/v1/orgs/acme/members/olive', { role: 'maintainer' });
    await check(S.App, 'POST', '/api/v1/apps', {
      namespace: 'acme',
      name: 'demo',
      tags: ['db'],
      publishType: 'public',
    });
    await check(S.App, 'GET', '/api/v1/apps/acme/demo');
    await check(S.App, 'PUT', '/api/v1/apps/acme/demo/shelf', { listed: true });
    await check(S.Visit, 'POST', '/api/v1/apps/acme/demo/visit');
    await check(S.AppStatistics, 'GET', '/api/v1/apps/acme/demo/stats?days=3');
    await check(S.VersionList, 'GET', '/api/v1/apps/acme/demo/versions');
    await check(S.PackageList, 'GET', '/api/v1/apps/acme/demo/packages');
    await check(S.PublisherPage, 'GET', '/api/v1/publishers/acme');
    await check(S.PublisherPage, 'GET', '/api/v1/publishers/admin');
    await check(S.SearchResult, 'GET', '/api/v1/search?q=demo');
    await check(S.AuditPage, 'GET', '/api/v1/audit?limit=5');
    await check(S.AdminUserList, 'GET', '/api/v1/admin/users');
    await check(S.AdminUser, 'PATCH', '/api/v1/admin/users/admin', {});
    await check(S.GcReport, 'POST', '/api/v1/admin/gc?dryRun=true');
    await check(S.ReindexReport, 'POST', '/api/v1/admin/reindex');
    const bad = await api(srv, 'POST', '/api/v1/keys', { bearer: ADMIN_KEY, body: { name: '' } });
    expect(bad.status).to.equal(400);
    expect(S.ErrorBody.safeParse(bad.body).success, bad.text).to.equal(true);
  });
});
