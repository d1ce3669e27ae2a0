/**
 * GET /api/v1/openapi.json: the store API as an OpenAPI 3.1 document, built once at start. Request
 * bodies and query parameters are the routes' own zod schemas (so the document cannot disagree with
 * validation); response bodies are in ./openapi-schemas.ts. test/server/openapi.test.ts walks the
 * mounted express routers and fails when a route and the document drift apart.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { LOGO_RULE, SCREENSHOT_RULE } from '../../schemas/names.js';
import { PublishRequest, RegistryCredential, SyncRetryRequest } from '../../schemas/sync.js';
import { storeErrorCatalog } from '../errors.js';
import { GcQuery, UserChange, UserList } from './admin.js';
import { AppChange, NewApp, NewPackage, ScreenshotQuery, Shelf, StatsQuery } from './apps.js';
import { Filter as AuditFilter } from './audit.js';
import { CodeBody, LoginBody } from './auth.js';
import { NewKey } from './keys.js';
import { RESPONSE_SCHEMAS as R } from './openapi-schemas.js';
import {
  ImmutabilityRules,
  RetentionReport,
  RetentionRules,
  RetentionRunQuery,
} from '../../schemas/governance.js';
import { NamespaceUsage, QuotaSettings } from '../governance/quotas.js';
import { Membership, MemberVisibility, NewOrg, OrgChange } from './orgs.js';
import { SearchQuery } from './search.js';
import { ProfileChange } from './users.js';
import { NewWebhook } from '../../schemas/webhooks.js';
import { VersionRemoval, VersionRemovalQuery } from '../../schemas/version-removal.js';
import { ModerationRequest } from '../../schemas/moderation.js';
import { DeliveriesQuery } from './webhooks.js';

export const OPENAPI_VERSION = '3.1.1';
/** The document's info.version: the package's version (the test holds them together). */
export const API_VERSION = '0.1.0';

const REQUEST_SCHEMAS = {
  PhoneCode: CodeBody,
  Login: LoginBody,
  ProfileChange,
  NewKey,
  NewOrg,
  Membership,
  NewApp,
  AppChange,
  Shelf,
  NewPackage,
  PublishRequest,
  SyncRetryRequest,
  RegistryCredential,
  UserChange,
  ImmutabilityRules,
  RetentionRules,
  QuotaSettings,
  NewWebhook,
  ModerationRequest,
};

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Json = Record<string, unknown>;
/** Who may call: anyone (anonymous too), a signed-in user or key, an admin. */
type Auth = 'anyone' | 'user' | 'admin';
/** A response: [status, body] with a zod schema, 'image' (bytes) or null (no body). */
type Reply = [number, z.ZodType | 'image' | null, string?];

interface Operation {
  id: string;
  tag: string;
  summary: string;
  auth: Auth;
  query?: z.ZodType;
  body?: z.ZodType | 'image';
  reply: Reply;
  /** Another success status with the same body (login: 201 when it creates the user). */
  alsoStatus?: number;
  /** Another success with another body (PUT of a member: 202 with an invitation). */
  alsoReply?: Reply;
}

const PATH_PARAMS: Record<string, string> = {
  namespace: 'the namespace (a user or an organisation) that owns the app',
  app: "the app's name",
  version: 'the version',
  package: "the package's name",
  user: "the user's name",
  org: "the organisation's name",
  publisher: 'the namespace: a user or an organisation',
  id: "the key's id",
  webhook: "the webhook's id",
  delivery: "the delivery's id",
  upstream: 'the name of a mirror.upstreams entry',
  screenshot: "the screenshot's id",
};

const op = (
  tag: string,
  id: string,
  auth: Auth,
  summary: string,
  reply: Reply,
  extra: Pick<Operation, 'query' | 'body' | 'alsoStatus' | 'alsoReply'> = {},
): Operation => ({ id, tag, summary, auth, reply, ...extra });
const APP = '/apps/{namespace}/{app}';
const VERSION = `${APP}/versions/{version}`;

/** The retention routes, the same under a namespace and under an app (docs/governance.md). */
function retentionPaths(
  base: string,
  whose: string,
  idPrefix: string,
): Record<string, Partial<Record<Method, Operation>>> {
  const tag = 'governance';
  return {
    [`${base}/retention`]: {
      get: op(
        tag,
        `get${idPrefix}Retention`,
        'user',
        `The retention rules set on ${whose} (null: no such rule; members)`,
        [200, RetentionRules],
      ),
      put: op(
        tag,
        `set${idPrefix}Retention`,
        'user',
        `Set the retention rules of ${whose} (owners and admins; 403 otherwise)`,
        [200, RetentionRules, 'the rules now in force'],
        { body: RetentionRules },
      ),
    },
    [`${base}/retention/run`]: {
      post: op(
        tag,
        `run${idPrefix}Retention`,
        'user',
        `Run the retention rules of ${whose} (owners and admins): what goes (dryRun=true, the default) or went, why every kept version stays, and after a real run the bytes GC freed`,
        [200, RetentionReport],
        { query: RetentionRunQuery },
      ),
    },
  };
}

/** The webhook routes, the same under a namespace and under an app (docs/governance.md). */
function webhookPaths(
  base: string,
  whose: string,
  idPrefix: string,
): Record<string, Partial<Record<Method, Operation>>> {
  const hook = `${base}/webhooks/{webhook}`;
  const tag = 'webhooks';
  return {
    [`${base}/webhooks`]: {
      get: op(
        tag,
        `list${idPrefix}Webhooks`,
        'user',
        `The webhooks of ${whose} (owners and admins)`,
        [200, R.WebhookList],
      ),
      post: op(
        tag,
        `create${idPrefix}Webhook`,
        'user',
        `Add a webhook to ${whose} (owners and admins); a URL at an internal address is refused (400, details.code blocked) unless webhooks.allowHosts lists it`,
        [201, R.Webhook],
        { body: NewWebhook },
      ),
    },
    [hook]: {
      get: op(tag, `get${idPrefix}Webhook`, 'user', 'A webhook', [200, R.Webhook]),
      delete: op(tag, `delete${idPrefix}Webhook`, 'user', 'Delete a webhook and its history', [
        204,
        null,
      ]),
    },
    [`${hook}/deliveries`]: {
      get: op(
        tag,
        `list${idPrefix}WebhookDeliveries`,
        'user',
        "The webhook's deliveries, newest first, with every attempt",
        [200, R.WebhookDeliveryList],
        { query: DeliveriesQuery },
      ),
    },
    [`${hook}/deliveries/{delivery}/redeliver`]: {
      post: op(
        tag,
        `redeliver${idPrefix}Webhook`,
        'user',
        "Send a delivery's body again, as a new delivery",
        [202, R.WebhookDelivery],
      ),
    },
  };
}

/** Every route mounted on /api/v1, by path (relative to the server URL /api/v1) and method. */
const PATHS: Record<string, Partial<Record<Method, Operation>>> = {
  '/openapi.json': {
    get: op('meta', 'getOpenApi', 'anyone', 'This document', [
      200,
      null,
      'the OpenAPI 3.1 document (JSON)',
    ]),
  },
  '/auth/code': {
    post: op(
      'auth',
      'sendLoginCode',
      'anyone',
      'Text a 6-digit login code to a phone (10 minutes, 5 tries; rate-limited)',
      [202, R.CodeSent],
      { body: CodeBody },
    ),
  },
  '/auth/login': {
    post: op(
      'auth',
      'login',
      'anyone',
      'Sign in with the code (201 when it creates the user); sets the session cookie',
      [200, R.Session],
      { body: LoginBody, alsoStatus: 201 },
    ),
  },
  '/auth/logout': {
    post: op('auth', 'logout', 'user', 'End the session and clear the cookie', [204, null]),
  },
  '/users/me': {
    get: op('users', 'getMe', 'user', 'Your profile, phone and namespaces', [200, R.Me]),
    patch: op('users', 'updateMe', 'user', 'Change your profile', [200, R.ProfileWithRole], {
      body: ProfileChange,
    }),
  },
  '/users/me/invitations': {
    get: op(
      'users',
      'listMyInvitations',
      'user',
      'The invitations to organisations waiting for your answer',
      [200, R.InvitationList],
    ),
  },
  '/users/me/invitations/{org}/accept': {
    post: op(
      'users',
      'acceptInvitation',
      'user',
      'Join the organisation with the invited role; needs a session or a push key',
      [200, R.JoinedOrg],
    ),
  },
  '/users/me/invitations/{org}/decline': {
    post: op(
      'users',
      'declineInvitation',
      'user',
      "Decline the organisation's invitation; needs a session or a push key",
      [204, null],
    ),
  },
  '/users/me/avatar': {
    put: op(
      'users',
      'setAvatar',
      'user',
      'Upload your avatar: PNG, JPEG, GIF or WebP (told by its bytes), at most 512 KiB',
      [200, R.Profile],
      { body: 'image' },
    ),
    delete: op('users', 'removeAvatar', 'user', 'Remove your avatar', [204, null]),
  },
  '/users/{user}': {
    get: op('users', 'getUser', 'anyone', "A user's public profile", [200, R.Profile]),
  },
  '/users/{user}/avatar': {
    get: op('users', 'getAvatar', 'anyone', "A user's avatar", [200, 'image']),
  },
  '/keys': {
    get: op('keys', 'listKeys', 'user', 'Your access keys (never their secrets)', [200, R.KeyList]),
    post: op(
      'keys',
      'createKey',
      'user',
      'Create an access key (at most 100); needs a session or a push key',
      [201, R.CreatedKey],
      { body: NewKey },
    ),
  },
  '/keys/{id}': { delete: op('keys', 'revokeKey', 'user', 'Revoke one of your keys', [204, null]) },
  '/orgs': {
    post: op(
      'orgs',
      'createOrg',
      'user',
      'Create an organisation; you become its owner',
      [201, R.Org],
      { body: NewOrg },
    ),
  },
  '/orgs/{org}': {
    get: op('orgs', 'getOrg', 'anyone', 'An organisation and its profile', [200, R.Org]),
    patch: op(
      'orgs',
      'updateOrg',
      'user',
      "Change the organisation's display name, about text or website, as its publisher page shows them (owners only; 403 otherwise)",
      [200, R.Org],
      { body: OrgChange },
    ),
  },
  '/orgs/{org}/logo': {
    get: op('orgs', 'getOrgLogo', 'anyone', "The organisation's logo", [200, 'image']),
    put: op(
      'orgs',
      'setOrgLogo',
      'user',
      'Upload the logo: PNG, JPEG, GIF or WebP (told by its bytes), at most 512 KiB (owners only)',
      [200, R.Org],
      { body: 'image' },
    ),
    delete: op('orgs', 'removeOrgLogo', 'user', 'Remove the logo (owners only)', [204, null]),
  },
  '/namespaces/{namespace}/immutability': {
    get: op(
      'governance',
      'getImmutability',
      'anyone',
      "The namespace's immutability rules (docs/governance.md)",
      [200, ImmutabilityRules],
    ),
    put: op(
      'governance',
      'setImmutability',
      'user',
      'Set the rules: published versions and tags matching the patterns cannot be moved or deleted (owners only; 403 otherwise)',
      [200, ImmutabilityRules, 'the rules now in force'],
      { body: ImmutabilityRules },
    ),
  },
  '/namespaces/{namespace}/usage': {
    get: op(
      'governance',
      'getUsage',
      'user',
      "The namespace's storage against its quota: each blob and manifest once (owners and admins; 403 otherwise)",
      [200, NamespaceUsage],
    ),
  },
  '/orgs/{org}/members': {
    get: op('orgs', 'listMembers', 'user', 'The members (members only)', [200, R.MemberList]),
  },
  '/orgs/{org}/members/{user}': {
    put: op(
      'orgs',
      'setMember',
      'user',
      "Change a member's role at once (200), or invite a user who is not a member (202: they join by accepting); owners only. The admin account and app robots cannot be invited (400 invalid, details.reason admin_account or robot_account)",
      [200, R.MemberList, "a member's role changed"],
      {
        body: Membership,
        alsoReply: [202, R.Invited, 'the user is invited (inviting again changes the role)'],
      },
    ),
    delete: op(
      'orgs',
      'removeMember',
      'user',
      'Remove a member or withdraw an invitation (owners), or leave',
      [204, null],
    ),
  },
  '/orgs/{org}/members/{user}/visibility': {
    put: op(
      'orgs',
      'setMemberVisibility',
      'user',
      "Show or hide your own membership on the organisation's publisher page (members hide by default; only the member themselves, 403 otherwise)",
      [200, R.MemberList],
      { body: MemberVisibility },
    ),
  },
  '/orgs/{org}/invitations': {
    get: op(
      'orgs',
      'listOrgInvitations',
      'user',
      'The invitations waiting for an answer (owners only)',
      [200, R.InvitationList],
    ),
  },
  '/audit': {
    get: op('audit', 'listAudit', 'admin', 'The audit trail, newest first', [200, R.AuditPage], {
      query: AuditFilter,
    }),
  },
  '/admin/quotas/{namespace}': {
    put: op(
      'admin',
      'setQuota',
      'admin',
      "Set a namespace's storage quota: a push past limitBytes is refused with OCI DENIED; passing warnBytes sends quota_warning (0: none; both 0 remove the quota)",
      [200, NamespaceUsage, 'the usage under the quota now in force'],
      { body: QuotaSettings },
    ),
  },
  '/admin/gc': {
    post: op(
      'admin',
      'collectGarbage',
      'admin',
      "Run the registry's garbage collection",
      [200, R.GcReport],
      { query: GcQuery },
    ),
  },
  '/admin/proxies': {
    get: op(
      'admin',
      'listProxies',
      'admin',
      'The pull-through caches: what each holds and how it served',
      [200, R.ProxyList],
    ),
  },
  '/admin/reindex': {
    post: op('admin', 'reindex', 'admin', "Rebuild the store's index from the registry", [
      200,
      R.ReindexReport,
    ]),
  },
  '/admin/mirror': {
    get: op(
      'admin',
      'mirrorStatus',
      'admin',
      'The store mirror: each upstream, its last run, its apps',
      [200, R.MirrorStatus],
    ),
  },
  '/admin/mirror/{upstream}/run': {
    post: op(
      'admin',
      'runMirror',
      'admin',
      'Start a run of a mirror upstream now (409 while one runs)',
      [202, R.MirrorUpstreamState],
    ),
  },
  '/admin/users': {
    get: op('admin', 'listUsers', 'admin', 'All users, by name', [200, R.AdminUserList], {
      query: UserList,
    }),
  },
  '/admin/users/{user}': {
    patch: op(
      'admin',
      'changeUser',
      'admin',
      'Disable, enable, promote or demote a user',
      [200, R.AdminUser],
      { body: UserChange },
    ),
  },
  '/admin/keys/{id}': {
    delete: op('admin', 'revokeAnyKey', 'admin', "Revoke anyone's key", [204, null]),
  },
  '/search': {
    get: op(
      'search',
      'search',
      'anyone',
      'Search the apps you may see; a filter given twice means both',
      [200, R.SearchResult],
      { query: SearchQuery },
    ),
  },
  '/publishers/{publisher}': {
    get: op('publishers', 'getPublisher', 'anyone', "A publisher's profile, apps and totals", [
      200,
      R.PublisherPage,
    ]),
  },
  '/apps': {
    post: op(
      'apps',
      'createApp',
      'user',
      'Create an app (owners and maintainers of the namespace)',
      [201, R.App],
      { body: NewApp },
    ),
  },
  [APP]: {
    get: op('apps', 'getApp', 'anyone', 'An app', [200, R.App]),
    patch: op('apps', 'updateApp', 'user', "Change an app's fields", [200, R.App], {
      body: AppChange,
    }),
    delete: op(
      'apps',
      'deleteApp',
      'user',
      'Delete an app with its versions and registry content',
      [204, null],
    ),
  },
  [`${APP}/logo`]: {
    get: op('apps', 'getLogo', 'anyone', "The app's logo", [200, 'image']),
    put: op(
      'apps',
      'setLogo',
      'user',
      `Upload the logo: ${LOGO_RULE} (the type told by its bytes)`,
      [200, R.App],
      { body: 'image' },
    ),
  },
  [`${APP}/shelf`]: {
    put: op('apps', 'setShelf', 'user', 'List the app on the shelf, or take it off', [200, R.App], {
      body: Shelf,
    }),
  },
  [`${APP}/moderation`]: {
    post: op(
      'apps',
      'moderateApp',
      'admin',
      'Moderate an app (administrators): unlist it (its owner may list it again) or take it down (off the shelf until restored), with a reason the owner is shown; restore lifts either',
      [200, R.App],
      { body: ModerationRequest },
    ),
  },
  [`${APP}/screenshots`]: {
    get: op('apps', 'listScreenshots', 'anyone', "The app's screenshots, in the order shown", [
      200,
      R.ScreenshotList,
    ]),
    post: op(
      'apps',
      'addScreenshot',
      'user',
      `Add a screenshot: the image is the body (${SCREENSHOT_RULE}), the caption a query parameter`,
      [201, R.Screenshot],
      { body: 'image', query: ScreenshotQuery },
    ),
  },
  [`${APP}/screenshots/{screenshot}`]: {
    get: op('apps', 'getScreenshot', 'anyone', 'The screenshot image', [200, 'image']),
    delete: op('apps', 'removeScreenshot', 'user', 'Remove a screenshot', [204, null]),
  },
  [`${APP}/visit`]: {
    post: op('apps', 'visitApp', 'anyone', 'Count a page view (once per visitor a day)', [
      200,
      R.Visit,
    ]),
  },
  [`${APP}/stats`]: {
    get: op(
      'apps',
      'getAppStats',
      'anyone',
      'Daily visits, installs and pulls, and the totals',
      [200, R.AppStatistics],
      { query: StatsQuery },
    ),
  },
  [`${APP}/versions`]: {
    get: op('versions', 'listVersions', 'anyone', 'The versions (members see drafts too)', [
      200,
      R.VersionList,
    ]),
  },
  [VERSION]: {
    get: op('versions', 'getVersion', 'anyone', 'A version with its components and template', [
      200,
      R.VersionDetail,
    ]),
    delete: op(
      'versions',
      'deleteVersion',
      'user',
      'Delete a version (its tag in the registry too); the answer lists what else changed: the packages that lose it (one left empty goes) and whether the app leaves the shelf. dryRun=true: only the answer',
      [200, VersionRemoval],
      { query: VersionRemovalQuery },
    ),
  },
  [`${VERSION}/install`]: {
    get: op(
      'versions',
      'getInstallTemplate',
      'anyone',
      'The template to install (counts an install; needs the install right or a free app on the shelf)',
      [200, R.InstallTemplate],
    ),
  },
  [`${VERSION}/publish`]: {
    post: op(
      'sync',
      'publishVersion',
      'user',
      "Publish a draft: copy its images into the store, then write the bundle; Location is the job's",
      [202, R.SyncJob],
      { body: PublishRequest },
    ),
  },
  [`${VERSION}/sync`]: {
    get: op('sync', 'getSyncJob', 'anyone', "The version's latest sync job", [200, R.SyncJob]),
  },
  [`${VERSION}/sync/retry`]: {
    post: op(
      'sync',
      'retrySync',
      'user',
      'Retry the failed components (or one)',
      [202, R.SyncJob],
      { body: SyncRetryRequest },
    ),
  },
  [`${APP}/packages`]: {
    get: op('packages', 'listPackages', 'anyone', "The app's packages", [200, R.PackageList]),
    post: op(
      'packages',
      'createPackage',
      'user',
      'Create a package of versions',
      [201, R.Package],
      { body: NewPackage },
    ),
  },
  [`${APP}/packages/{package}`]: {
    delete: op('packages', 'deletePackage', 'user', 'Delete a package', [204, null]),
  },
  ...webhookPaths('/namespaces/{namespace}', 'a namespace (all its apps)', 'Namespace'),
  ...webhookPaths(APP, 'an app', 'App'),
  ...retentionPaths(
    '/namespaces/{namespace}',
    'a namespace (apps without rules of their own)',
    'Namespace',
  ),
  ...retentionPaths(APP, 'an app (replacing the namespace rules for it)', 'App'),
};

/** The schemas' JSON Schema as OpenAPI 3.1 takes it (2020-12, without the noise zod adds). */
function jsonSchemaOf(schema: z.ZodType): Json {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', override: tidy }) as Json;
  return json;
}

/** Drops the date-time regex (format says it) and the safe-integer bounds of `.int()`. */
const tidy = (ctx: { jsonSchema: Json }): void => {
  const s = ctx.jsonSchema;
  if (s.format === 'date-time') delete s.pattern;
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
  if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
};

function components(): { schemas: Json; ids: Map<z.ZodType, string> } {
  const registry = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  for (const [id, schema] of Object.entries({ ...REQUEST_SCHEMAS, ...R })) {
    registry.add(schema, { id });
    ids.set(schema, id);
  }
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
    override: tidy,
  });
  const tidied = Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => [
      id,
      (({ $schema: _, $id: __, ...rest }) => rest)(s as Json),
    ]),
  );
  return { schemas: tidied, ids };
}

function queryParameters(schema: z.ZodType): Json[] {
  const json = jsonSchemaOf(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, { description, ...s }]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    ...(description !== undefined ? { description } : {}),
    schema: s,
  }));
}

const IMAGE_CONTENT = { 'image/*': {} };

function operation(path: string, o: Operation, ref: (schema: z.ZodType) => Json): Json {
  const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMS[name!],
    schema: name === 'id' ? { type: 'integer' } : { type: 'string' },
  }));
  const parameters = [...pathParams, ...(o.query ? queryParameters(o.query) : [])];
  const [status, body, description] = o.reply;
  const error = { $ref: '#/components/responses/Error' };
  const errors: Json = {};
  if (o.body || o.query) errors['400'] = error;
  if (o.auth !== 'anyone') errors['401'] = error;
  if (o.auth === 'admin') errors['403'] = error;
  if (pathParams.length > 0) errors['404'] = error;
  const content =
    body === null
      ? undefined
      : body === 'image'
        ? IMAGE_CONTENT
        : { 'application/json': { schema: ref(body) } };
  const success = {
    description: description ?? (content ? 'OK' : 'done'),
    ...(content ? { content } : {}),
  };
  const statuses = o.alsoStatus ? [status, o.alsoStatus] : [status];
  const also = o.alsoReply && {
    [String(o.alsoReply[0])]: {
      description: o.alsoReply[2] ?? 'OK',
      ...(o.alsoReply[1] && o.alsoReply[1] !== 'image'
        ? { content: { 'application/json': { schema: ref(o.alsoReply[1]) } } }
        : {}),
    },
  };
  const bodyRequired =
    o.body !== undefined &&
    (o.body === 'image' ||
      ((jsonSchemaOf(o.body).required as unknown[] | undefined)?.length ?? 0) > 0);
  return {
    operationId: o.id,
    tags: [o.tag],
    summary: o.summary,
    ...(o.auth === 'admin' ? { description: 'Admins only.' } : {}),
    security:
      o.auth === 'anyone' ? [{ bearer: [] }, { cookie: [] }, {}] : [{ bearer: [] }, { cookie: [] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(o.body
      ? {
          requestBody: {
            required: bodyRequired,
            content:
              o.body === 'image' ? IMAGE_CONTENT : { 'application/json': { schema: ref(o.body) } },
          },
        }
      : {}),
    responses: {
      ...Object.fromEntries(statuses.map((s) => [String(s), success])),
      ...also,
      ...errors,
      default: error,
    },
  };
}

/** The document, as plain JSON data. */
export function buildOpenApiDocument(): Json {
  const { schemas, ids } = components();
  const ref = (schema: z.ZodType): Json => {
    const id = ids.get(schema);
    return id ? { $ref: `#/components/schemas/${id}` } : jsonSchemaOf(schema);
  };
  const paths = Object.fromEntries(
    Object.entries(PATHS).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item).map(([method, o]) => [method, operation(path, o, ref)]),
      ),
    ]),
  );
  const codes = storeErrorCatalog.map((e) => `\`${e.code}\` ${e.status}`).join(', ');
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'appshelf store API',
      version: API_VERSION,
      description:
        'The JSON API of appshelf, a self-hosted app store for multi-component apps kept in an OCI registry (the registry itself is at /v2). ' +
        'Authenticate with `Authorization: Bearer` and a session token (`ses_...`, from POST /auth/login) or an access key (`ask_...`), or with the `appshelf_session` cookie; many reads work anonymously.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/api/v1' }],
    tags: [
      'meta',
      'auth',
      'users',
      'keys',
      'orgs',
      'governance',
      'apps',
      'versions',
      'sync',
      'packages',
      'search',
      'publishers',
      'audit',
      'admin',
    ].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      responses: {
        Error: {
          description: `An error: ${codes}.`,
          headers: {
            'Retry-After': {
              description: 'seconds, with rate_limited',
              schema: { type: 'integer' },
            },
          },
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A session token (`ses_...`) or an access key (`ask_...`); a bad one is refused with 401, never read as anonymous.',
        },
        cookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'appshelf_session',
          description:
            'The session cookie set by POST /auth/login (the web uses it); a stale one reads as anonymous. ' +
            "A request it alone signs in that changes something (not GET, HEAD or OPTIONS) must come from the store's own pages (an Origin, else a Referer, of the store) with Content-Type: application/json; otherwise 403 `forbidden` (against cross-site request forgery).",
        },
      },
    },
  };
}

/** The handler of GET /api/v1/openapi.json; the document is built (and serialised) once. */
export function openApiRoute(): RequestHandler {
  const body = JSON.stringify(buildOpenApiDocument());
  return (_req, res) => void res.type('application/json').send(body);
}
