/**
 * A Rainstore client written from ../shared/rainstore-api.md alone, as the Rainbond console and
 * its SDK call the store: raw `Authorization: <key>`, `marketDomain` on every /openapi call but
 * the three that take none, Python-spelt booleans. Its types are the contract's, not the server's.
 * Every status it sees is recorded, so a test can assert that none was 401.
 */
import { expect } from 'chai';

export interface RsError {
  code: number;
  msg: string;
}
export interface RsInfo {
  name: string;
  description: string;
  status: number;
  accessActions: string[];
  createTime: string;
  version?: string;
}
export interface RsBindableMarket {
  name: string;
  url: string;
  domain: string;
  logo: string;
  desc: string;
}
export interface RsVersionBase {
  appKeyID: string;
  appVersion: string;
  appVersionAlias: string;
  desc: string;
  createTime: string;
  updateTime: string;
  enable: boolean;
  updateVersion: number;
  arch: string;
  is_plugin: boolean;
  isPlugin: boolean;
  rainbondVersion: string;
  deliveryMode: string;
  cpu: number | null;
  memory: number | null;
}
export interface RsAppBase {
  appKeyID: string;
  name: string;
  desc: string;
  logo: string;
  tags: string[];
  versions: RsVersionBase[];
  publishType: string;
  installCount: number;
  downloadCount: number;
  showCount: number;
  startCount: number;
  createTime: string;
  updateTime: string;
  introduction: string;
  introductionHTML: string;
  marketID: string;
  marketName: string;
  marketURL: string;
  appDetailURL: string;
  devStatus: string;
  isOfficial: boolean;
  status: string;
}
export interface RsAppDetail extends RsAppBase {
  appClassificationID: string;
  orgID: string;
}
export interface RsAppList {
  apps: RsAppBase[];
  page: number;
  pageSize: number;
  total: number;
}
export interface RsVersionDetail {
  appKeyID: string;
  appName: string;
  version: string;
  versionAlias: string;
  description: string;
  rainbondVersion: string;
  deliveryMode: string;
  enable: boolean;
  templateType: string;
  template: string;
  marketID: string;
  updateVersion: number;
  createTime: string;
  updateTime: string;
  arch: string;
  is_plugin: boolean;
  isPlugin: boolean;
}
export interface RsHubInfo {
  hubURL: string;
  namespace: string;
  hubUser: string;
  hubPassword: string;
  isTrust: boolean;
}
export interface RsNewApp {
  name: string;
  desc?: string;
  introduction?: string;
  logo?: string;
  publishType?: 'public' | 'private';
  tags?: string[];
  orgID?: string;
}
export interface RsNewVersion {
  version: string;
  versionAlias: string;
  description: string;
  rainbondVersion: string;
  templateType: 'RAM';
  template: object | string;
  arch: string;
  is_plugin: boolean;
}

export interface RsAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export const py = (b: boolean): string => (b ? 'True' : 'False');

export class RainstoreClient {
  /** Every status any client of this base answered, for the "never 401" check. */
  static readonly statuses: { url: string; status: number }[] = [];

  constructor(
    readonly url: string,
    readonly domain: string,
    readonly key?: string,
  ) {}

  as(key: string | undefined): RainstoreClient {
    return new RainstoreClient(this.url, this.domain, key);
  }

  async call<T>(
    method: string,
    path: string,
    options: {
      query?: Record<string, string>;
      body?: unknown;
      headers?: Record<string, string>;
      domain?: boolean;
    } = {},
  ): Promise<RsAnswer<T>> {
    const url = new URL(`${this.url}${path}`);
    if (options.domain !== false) url.searchParams.set('marketDomain', this.domain);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...options.headers };
    if (this.key !== undefined) headers.Authorization = this.key;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    RainstoreClient.statuses.push({ url: `${method} ${url.pathname}`, status: res.status });
    expect(res.headers.get('content-type') ?? '', `${method} ${path} answers JSON`).to.include(
      'application/json',
    );
    return { status: res.status, body: JSON.parse(text) as T, headers: res.headers };
  }

  healthz = () =>
    this.call<{ code: number; msg: string; isRainstore: boolean }>(
      'GET',
      '/app-server/openapi/healthz',
      { domain: false },
    );
  info = () => this.call<RsInfo>('GET', '/app-server/openapi/info');
  bindableMarkets = () =>
    this.call<RsBindableMarket[]>('GET', '/app-server/openapi/bindablemarkets', { domain: false });
  organizations = () =>
    this.call<unknown[]>('GET', '/app-server/openapi/organizations', { domain: false });
  listApps = (query: Record<string, string>) =>
    this.call<RsAppList>('GET', '/app-server/openapi/apps', { query });
  createApp = (body: RsNewApp) =>
    this.call<RsAppDetail>('POST', '/app-server/openapi/apps', { body });
  getApp = (id: string) => this.call<RsAppDetail>('GET', `/app-server/openapi/apps/${id}`);
  updateApp = (id: string, body: Partial<RsNewApp>) =>
    this.call<RsAppDetail>('PUT', `/app-server/openapi/apps/${id}`, { body });
  listVersions = (id: string) =>
    this.call<{ versions: RsVersionBase[] }>('GET', `/app-server/openapi/apps/${id}/versions`);
  createVersion = (id: string, body: RsNewVersion) =>
    this.call<RsVersionBase & { id: string }>('POST', `/app-server/openapi/apps/${id}/versions`, {
      body,
    });
  getVersion = (
    id: string,
    version: string,
    flags: { forInstall: boolean; getTemplate: boolean },
  ) =>
    this.call<RsVersionDetail>(
      'GET',
      `/app-server/openapi/apps/${id}/versions/${encodeURIComponent(version)}`,
      {
        query: { forInstall: py(flags.forInstall), getTemplate: py(flags.getTemplate) },
      },
    );
  hubInfo = (id: string) =>
    this.call<RsHubInfo>('GET', `/app-server/openapi/apps/${id}/apphubinfo`);
  cmd = (marketId: string, appId: string, version: string) =>
    this.call<{ cmd: string; arch: string }>(
      'GET',
      `/app-server/markets/${marketId}/apps/${appId}/version/${encodeURIComponent(version)}/cmd`,
      { domain: false },
    );
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function expectIso(value: unknown, what: string): void {
  expect(value, what).to.be.a('string').and.match(ISO_UTC);
  expect(Number.isNaN(Date.parse(value as string)), what).to.equal(false);
}

function expectFields(
  value: object,
  fields: Record<string, 'string' | 'number' | 'boolean' | 'array' | 'iso' | 'number|null'>,
  what: string,
): void {
  for (const [key, type] of Object.entries(fields)) {
    const v = (value as Record<string, unknown>)[key];
    const where = `${what}.${key}`;
    if (type === 'iso') expectIso(v, where);
    else if (type === 'array') expect(v, where).to.be.an('array');
    else if (type === 'number|null')
      expect(v === null || typeof v === 'number', where).to.equal(true);
    else expect(v, where).to.be.a(type);
  }
}

export function expectVersionBase(v: RsVersionBase, what = 'version'): void {
  expectFields(
    v,
    {
      appKeyID: 'string',
      appVersion: 'string',
      appVersionAlias: 'string',
      desc: 'string',
      createTime: 'iso',
      updateTime: 'iso',
      enable: 'boolean',
      updateVersion: 'number',
      arch: 'string',
      is_plugin: 'boolean',
      isPlugin: 'boolean',
      rainbondVersion: 'string',
      deliveryMode: 'string',
      cpu: 'number|null',
      memory: 'number|null',
    },
    what,
  );
  expect(['amd64', 'arm64', 'amd64&arm64'], `${what}.arch`).to.include(v.arch);
}

export function expectAppBase(a: RsAppBase, what = 'app'): void {
  expectFields(
    a,
    {
      appKeyID: 'string',
      name: 'string',
      desc: 'string',
      logo: 'string',
      tags: 'array',
      versions: 'array',
      publishType: 'string',
      installCount: 'number',
      downloadCount: 'number',
      showCount: 'number',
      startCount: 'number',
      createTime: 'iso',
      updateTime: 'iso',
      introduction: 'string',
      introductionHTML: 'string',
      marketID: 'string',
      marketName: 'string',
      marketURL: 'string',
      appDetailURL: 'string',
      devStatus: 'string',
      isOfficial: 'boolean',
      status: 'string',
    },
    what,
  );
  expect(a.appKeyID, `${what}.appKeyID`).to.match(/^[0-9a-f]{32}$/);
  expect(['public', 'private'], `${what}.publishType`).to.include(a.publishType);
  a.versions.forEach((v, i) => expectVersionBase(v, `${what}.versions[${i}]`));
}

export function expectAppDetail(a: RsAppDetail, what = 'app'): void {
  expectAppBase(a, what);
  expectFields(a, { appClassificationID: 'string', orgID: 'string' }, what);
}

export function expectVersionDetail(v: RsVersionDetail, what = 'version detail'): void {
  expectFields(
    v,
    {
      appKeyID: 'string',
      appName: 'string',
      version: 'string',
      versionAlias: 'string',
      description: 'string',
      rainbondVersion: 'string',
      deliveryMode: 'string',
      enable: 'boolean',
      templateType: 'string',
      template: 'string',
      marketID: 'string',
      updateVersion: 'number',
      createTime: 'iso',
      updateTime: 'iso',
      arch: 'string',
      is_plugin: 'boolean',
      isPlugin: 'boolean',
    },
    what,
  );
  expect(v.templateType).to.equal('RAM');
}

export function expectError(answer: RsAnswer<unknown>, status: number): void {
  expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
  const body = answer.body as RsError;
  expect(body.code).to.equal(status);
  expect(body.msg).to.be.a('string').and.not.equal('');
}
