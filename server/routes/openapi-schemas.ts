/**
 * The store API's response bodies, as zod schemas for the OpenAPI document (server/routes/openapi.ts)
 * and for the test that checks real responses against them. Request bodies are not here: the
 * routes' own schemas are reused. No defaults or transforms: these describe what is sent.
 */
import { Moderation } from '../../schemas/moderation.js';
import { z } from 'zod';
import { ComponentSync, SyncFailure, SyncJobState } from '../../schemas/sync.js';
import { WebhookEventName, WebhookFormat } from '../../schemas/webhooks.js';
import { MEMBER_ROLES } from '../accounts/namespaces.js';
import { KEY_SCOPES } from '../auth/principal.js';
import { storeErrorCatalog } from '../errors.js';
import { SORTS } from '../search/ranking.js';

const Timestamp = z.iso.datetime().describe('ISO 8601, UTC');
const Count = z.number().int().nonnegative();
const Role = z.enum(['admin', 'user']);
const MemberRole = z.enum(MEMBER_ROLES as [string, ...string[]]);

export const ErrorBody = z
  .object({
    error: z.object({
      code: z
        .enum(storeErrorCatalog.map((e) => e.code) as [string, ...string[]])
        .describe(storeErrorCatalog.map((e) => `${e.code}: ${e.status}`).join(', ')),
      message: z.string().describe('for people; may change'),
      details: z
        .unknown()
        .optional()
        .describe(
          'e.g. {issues: [{path, message}]} for invalid input, {retryAfterSeconds} when rate-limited',
        ),
    }),
  })
  .describe('Every /api/v1 error. Tell errors apart by code, never by message.');

export const Profile = z
  .object({
    name: z.string(),
    displayName: z.string(),
    bio: z.string(),
    website: z.string(),
    avatarUrl: z.string().nullable(),
    createdAt: Timestamp,
  })
  .describe("A user's public profile");
export const ProfileWithRole = Profile.extend({ role: Role });
export const Me = ProfileWithRole.extend({
  phone: z.string().nullable(),
  namespaces: z.array(
    z.object({ namespace: z.string(), kind: z.enum(['user', 'org']), role: MemberRole }),
  ),
});
export const AdminUser = ProfileWithRole.extend({
  disabled: z.boolean(),
  phone: z.string().nullable().optional().describe('in the list only'),
});
export const AdminUserList = z.object({
  users: z.array(AdminUser),
  next: z.string().nullable().describe('`after` for the next page; null on the last'),
});

export const CodeSent = z.object({ sent: z.literal(true), expiresInSeconds: Count });
export const Session = z.object({
  token: z.string().describe('ses_...; also set as the appshelf_session cookie'),
  expiresAt: Timestamp,
  created: z.boolean().describe('a new user'),
  user: ProfileWithRole,
});

export const AccessKey = z.object({
  id: z.number().int(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(KEY_SCOPES as [string, ...string[]])),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  expiresAt: Timestamp.nullable(),
});
export const CreatedKey = AccessKey.extend({
  key: z.string().describe('ask_...: the secret, shown this once'),
});
export const KeyList = z.object({ keys: z.array(AccessKey) });

export const Org = z.object({
  name: z.string(),
  displayName: z.string(),
  kind: z.literal('org'),
  about: z.string().optional().describe('not in POST'),
  website: z.string().optional().describe('not in POST'),
  logoUrl: z.string().nullable().optional().describe('not in POST; null without a logo'),
  createdAt: Timestamp.optional().describe('not in POST'),
});
export const MemberList = z.object({
  members: z.array(
    z.object({
      name: z.string(),
      displayName: z.string(),
      role: MemberRole,
      public: z
        .boolean()
        .describe("shown on the organisation's publisher page (the member's choice)"),
      since: Timestamp,
    }),
  ),
});

export const Invitation = z
  .object({
    org: z.string(),
    orgDisplayName: z.string(),
    user: z.string().describe('the invited user'),
    role: MemberRole.describe('the role they get by accepting'),
    invitedBy: z.string(),
    invitedAt: Timestamp,
  })
  .describe('An invitation to an organisation, waiting for the user to accept or decline it');
export const Invited = z.object({ invitation: Invitation });
export const InvitationList = z.object({ invitations: z.array(Invitation) });
export const JoinedOrg = z
  .object({ namespace: z.string(), kind: z.literal('org'), role: MemberRole })
  .describe('The membership an accepted invitation made (as in GET /users/me)');

export const AuditPage = z.object({
  entries: z.array(
    z.object({
      id: z.number().int(),
      at: Timestamp,
      actor: z.string(),
      action: z.string(),
      target: z.string(),
      address: z.string(),
      detail: z.unknown(),
    }),
  ),
  next: z.number().int().nullable().describe('`before` for the next page; null on the last'),
});

export const GcReport = z.object({
  dryRun: z.boolean(),
  manifestsDeleted: Count,
  blobsDeleted: Count,
  uploadsDeleted: Count,
  orphanFilesDeleted: Count,
  bytesFreed: Count,
  durationMs: z.number().nonnegative(),
});
export const ProxyList = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      upstream: z.string(),
      repositories: Count,
      bytes: Count,
      hits: Count,
      misses: Count,
      upstreamErrors: Count,
    }),
  ),
});

const MirrorItem = z.object({
  name: z.string(),
  url: z.string(),
  state: z.enum(['idle', 'running']),
  lastRun: z
    .object({
      startedAt: Timestamp,
      finishedAt: Timestamp.nullable(),
      error: z.string().nullable().describe('where the run stopped: app, version and blob'),
    })
    .nullable(),
  apps: z.array(
    z.object({
      app: z.string().describe('the local namespace/name'),
      versions: z.array(z.string()),
      bytes: Count.describe('blob bytes the last run copied for it'),
      error: z.string().nullable(),
    }),
  ),
  progress: z
    .object({ app: z.string(), version: z.string().nullable(), bytes: Count })
    .nullable()
    .optional()
    .describe('while running: where the run is'),
});
export const MirrorUpstreamState = MirrorItem;
export const MirrorStatus = z.object({ items: z.array(MirrorItem) });
export const ReindexReport = z.object({
  apps: Count,
  versions: Count,
  components: Count,
  skipped: z.array(z.object({ repository: z.string(), tag: z.string(), reason: z.string() })),
});

const Totals = { visits: Count, installs: Count, pulls: Count };
export const Package = z.object({
  name: z.string(),
  type: z.literal('free'),
  versions: z.array(z.string()),
  createdAt: Timestamp,
});
export const PackageList = z.object({ packages: z.array(Package) });
export const App = z.object({
  namespace: z.string(),
  name: z.string(),
  appKey: z.string(),
  displayName: z.string(),
  summary: z.string(),
  introduction: z.string(),
  logo: z.string().nullable().describe("the logo's path, null without one"),
  tags: z.array(z.string()),
  categories: z.array(z.string()),
  sourceUrl: z.string(),
  homeUrl: z.string(),
  publishType: z.enum(['public', 'private']),
  listed: z.boolean(),
  mirroredFrom: z
    .object({ upstream: z.string(), url: z.string() })
    .nullable()
    .describe('the mirror upstream this read-only app is copied from; null for its own apps'),
  moderation: Moderation.describe(
    "an administrator's unlisting or takedown in force, with the reason; null: none",
  ),
  onShelf: z.boolean(),
  latestVersion: z.string().nullable(),
  ...Totals,
  packages: z.array(Package),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const Screenshot = z.object({
  id: z.number().int(),
  url: z.string().describe("the image's path"),
  caption: z.string(),
  mediaType: z.enum(['image/png', 'image/jpeg', 'image/webp']),
});
export const ScreenshotList = z.object({ items: z.array(Screenshot) });
export const AppStatistics = z.object({
  days: z.array(z.object({ day: z.string().describe('YYYY-MM-DD'), ...Totals })),
  totals: z.object(Totals),
});
export const Visit = z.object({
  counted: z.boolean().describe('false when this visitor was counted today'),
});

export const Version = z.object({
  version: z.string(),
  alias: z.string(),
  description: z.string(),
  state: z.enum(['draft', 'syncing', 'ready', 'failed']),
  manifestDigest: z.string(),
  templateDigest: z.string(),
  rainbondVersion: z.string(),
  arch: z.string(),
  isPlugin: z.boolean(),
  updateVersion: z.number().int(),
  deletedUpstream: z
    .boolean()
    .describe('a mirrored version its upstream deleted (kept unless the upstream is pruned)'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export const VersionList = z.object({ versions: z.array(Version) });
export const VersionDetail = Version.extend({
  components: z.array(
    z.object({
      serviceKey: z.string(),
      name: z.string(),
      imageDigest: z.string().nullable().describe('null in a draft'),
      sourceRef: z.string(),
    }),
  ),
  template: z.record(z.string(), z.unknown()).describe('the RAM template as pushed'),
});
export const InstallTemplate = z
  .record(z.string(), z.unknown())
  .describe("the RAM template with every component's image at the store's copy by digest");
export const SyncJob = z.object({
  id: z.number().int(),
  version: z.string(),
  state: SyncJobState,
  progress: z.object({ done: Count, total: Count }),
  error: SyncFailure.nullable(),
  components: z.array(ComponentSync),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const Facet = z.array(z.object({ value: z.string(), count: Count }));
export const SearchResult = z.object({
  items: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      displayName: z.string(),
      summary: z.string(),
      tags: z.array(z.string()),
      logo: z.string().nullable(),
      latestVersion: z.string().nullable(),
      installs: Count,
      visits: Count,
      updatedAt: Timestamp,
    }),
  ),
  total: Count,
  page: z.number().int(),
  pageSize: z.number().int(),
  sort: z.enum(SORTS),
  facets: z
    .object({ tags: Facet, categories: Facet, publishers: Facet, architectures: Facet })
    .describe('over the whole filtered result, at most 20 each'),
});

export const PublisherPage = z.object({
  kind: z.enum(['user', 'org']),
  profile: z.union([
    Profile,
    z.object({ name: z.string(), displayName: z.string(), createdAt: Timestamp }),
  ]),
  apps: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      displayName: z.string(),
      summary: z.string(),
      logo: z.string().nullable(),
      tags: z.array(z.string()),
      categories: z.array(z.string()),
      latestVersion: z.string().nullable(),
      onShelf: z.boolean(),
      ...Totals,
      updatedAt: Timestamp,
    }),
  ),
  totals: z.object({ apps: Count, ...Totals }),
});

export const Webhook = z
  .object({
    id: z.number().int(),
    namespace: z.string(),
    app: z.string().nullable().describe("the app's name for an app's hook; null for a namespace's"),
    url: z.string(),
    events: z.array(WebhookEventName),
    format: WebhookFormat,
    createdBy: z.string(),
    createdAt: Timestamp,
  })
  .describe('A webhook; its secret is never served back');
export const WebhookList = z.object({ webhooks: z.array(Webhook) });
export const WebhookDelivery = z
  .object({
    id: z.number().int(),
    webhookId: z.number().int(),
    eventId: z.string().describe('the same for each hook the event went to, and for a redelivery'),
    event: WebhookEventName,
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: Count,
    statusCode: z.number().int().nullable().describe("the last attempt's HTTP status"),
    error: z.string().nullable().describe('why the last attempt failed'),
    attemptLog: z.array(
      z.object({
        at: Timestamp,
        statusCode: z.number().int().optional(),
        error: z.string().optional(),
        durationMs: Count,
      }),
    ),
    redeliveryOf: z.number().int().nullable(),
    createdAt: Timestamp,
    lastAttemptAt: Timestamp.nullable(),
    nextAttemptAt: Timestamp.nullable().describe('when a pending delivery is tried next'),
    deliveredAt: Timestamp.nullable(),
  })
  .describe('One event sent (or being sent) to one hook, with every attempt');
export const WebhookDeliveryList = z.object({ deliveries: z.array(WebhookDelivery) });

/** The response bodies by their component name. */
export const RESPONSE_SCHEMAS = {
  Error: ErrorBody,
  Profile,
  ProfileWithRole,
  Me,
  AdminUser,
  AdminUserList,
  CodeSent,
  Session,
  AccessKey,
  CreatedKey,
  KeyList,
  Org,
  MemberList,
  Invitation,
  Invited,
  InvitationList,
  JoinedOrg,
  AuditPage,
  GcReport,
  ProxyList,
  ReindexReport,
  MirrorUpstreamState,
  MirrorStatus,
  Package,
  PackageList,
  App,
  AppStatistics,
  Visit,
  Version,
  VersionList,
  VersionDetail,
  Screenshot,
  ScreenshotList,
  InstallTemplate,
  SyncJob,
  SearchResult,
  PublisherPage,
  Webhook,
  WebhookList,
  WebhookDelivery,
  WebhookDeliveryList,
} as const;
