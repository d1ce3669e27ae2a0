import { z } from 'zod';
import { MirrorConfig } from './mirror.js';

const Seconds = z.number().int().nonnegative();
/** `host:port`, `[v6]:port` or `:port` (every address). */
const HostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port');

/** Key prefixes: empty, or folder names joined by `/` (a missing last `/` is added). */
const KeyPrefix = z
  .string()
  .regex(
    /^(?:[a-zA-Z0-9._-]+(?:\/[a-zA-Z0-9._-]+)*\/?)?$/,
    'expected "" or folder names such as appshelf/ (letters, digits, . _ -)',
  )
  .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`));

const S3Storage = z
  .strictObject({
    endpoint: z
      .url()
      .optional()
      .describe('s3: the S3 endpoint URL (MinIO, Ceph, another cloud); absent: AWS'),
    region: z.string().min(1).default('us-east-1').describe("s3: the bucket's region"),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
      .describe('s3: the bucket that holds blobs, logos and uploads in progress'),
    prefix: KeyPrefix.default('').describe('s3: key prefix inside the bucket, e.g. appshelf/'),
    forcePathStyle: z
      .boolean()
      .default(false)
      .describe(
        's3: address the bucket as <endpoint>/<bucket> (MinIO, s3rver) rather than by host',
      ),
    accessKeyId: z
      .string()
      .min(1)
      .optional()
      .describe("s3: access key id; absent: the AWS SDK's default credential chain"),
    secretAccessKey: z
      .string()
      .min(1)
      .optional()
      .describe('s3: secret access key (with accessKeyId)'),
    redirectBlobGets: z
      .boolean()
      .default(false)
      .describe(
        's3: GETs of blobs over 64 KiB answer 307 Temporary Redirect to a presigned URL on the endpoint (valid 15 min), so the bytes bypass the store; every client must be able to reach the endpoint itself',
      ),
  })
  .refine((s) => (s.accessKeyId === undefined) === (s.secretAccessKey === undefined), {
    message: 'set accessKeyId and secretAccessKey together, or neither (the default chain)',
  });

/**
 * A PostgreSQL connection URL as libpq and node-postgres read it: postgres://user:secret@host:5432/db
 * (a `?host=/run/postgresql` query for a unix socket). It holds a secret: never log it.
 */
const PostgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error:
    'expected a postgres:// or postgresql:// URL, e.g. postgres://appshelf:secret@127.0.0.1:5432/appshelf',
});

/** One pull-through cache of an upstream registry (`registry.proxies[]`). */
const RegistryProxy = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'expected one lower-case path component, e.g. hub')
    .describe('proxy: the path prefix: /v2/<name>/<upstream repository>/...'),
  upstream: z
    .url({ protocol: /^https?$/ })
    .describe('proxy: the upstream registry base URL, e.g. https://registry-1.docker.io'),
  hosts: z
    .array(z.string().min(1).max(253))
    .default([])
    .describe('proxy: registry hosts whose containerd mirror requests (?ns=<host>) go here'),
  dockerMirror: z
    .boolean()
    .default(false)
    .describe(
      "proxy: serve unprefixed repositories not held locally (Docker's registry-mirrors); at most one proxy",
    ),
  username: z.string().default('').describe('proxy: upstream user name (optional)'),
  password: z.string().default('').describe('proxy: upstream password or token (optional)'),
  anonymousPull: z
    .boolean()
    .default(false)
    .describe('proxy: anyone may pull through it; else any signed-in principal with read'),
  tagTtlSeconds: Seconds.default(300).describe(
    'proxy: a cached tag is served without asking the upstream for this long, then re-checked',
  ),
  maxBytes: z
    .number()
    .int()
    .nonnegative()
    .default(0)
    .describe('proxy: 0 unlimited; else least-recently-pulled cached content is evicted beyond it'),
  maxConcurrent: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(8)
    .describe('proxy: upstream requests at once (more wait their turn)'),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(30)
    .describe(
      'proxy: an upstream request with no answer (or no byte of body) for this long fails; held content is served stale',
    ),
});

/** Internal hosts an outbound feature may reach past the address policy (`*.allowHosts`). */
const hostAllowList = (meaning: string) =>
  z.array(z.string().trim().min(1).max(300)).max(256).default([]).describe(meaning);

/** `config.yml`: every key, its type, its default and its meaning. Defaults live only here. */
export const Config = z.strictObject({
  listen: HostPort.default('0.0.0.0:8080').describe('host:port to listen on'),
  data: z
    .string()
    .min(1)
    .default('./data')
    .describe('data folder: database, blobs, upload staging, signing keys'),
  publicUrl: z
    .url()
    // Without its trailing slashes, so `${publicUrl}/v2/token` and the like never hold a `//`.
    .overwrite((url) => url.replace(/\/+$/, ''))
    .optional()
    .describe(
      'public base URL of the store (e.g. https://store.example.com); derived from the Host header when absent',
    ),
  server: z
    .strictObject({
      idleTimeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .default(60)
        .describe(
          'a connection on which the client sends or reads nothing for this long is closed (an upload cut so resumes from the bytes received); a request that keeps moving is never cut, however long it takes',
        ),
      secretKey: z
        .string()
        .min(32, 'server.secretKey must be at least 32 characters (e.g. openssl rand -base64 32)')
        .optional()
        .describe(
          'the one secret every process of a store shares (at least 32 characters): the login-code, CSRF and webhook-secret keys are derived from it; absent: each is a random file in <data>/keys (one process)',
        ),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info')
        .describe('log level (pino); logs are JSON lines on stdout'),
    })
    .prefault({}),
  storage: z
    .discriminatedUnion('driver', [
      z.strictObject({
        driver: z
          .literal('fs')
          .describe('blob storage driver: fs (under <data>/storage) or s3 (a bucket)'),
      }),
      z.strictObject({
        driver: z.literal('s3'),
        s3: S3Storage,
      }),
    ])
    .prefault({ driver: 'fs' }),
  database: z
    .strictObject({
      url: PostgresUrl.optional().describe(
        'PostgreSQL connection URL (postgres://user:secret@host:5432/db); absent: SQLite in <data>. Several processes share one (docs/deployment.md); an unreachable server stops start-up (exit 2)',
      ),
    })
    .prefault({}),
  registry: z
    .strictObject({
      anonymousPull: z.boolean().default(false).describe('let anyone pull without credentials'),
      maxManifestBytes: z
        .number()
        .int()
        .positive()
        .default(4 * 1024 * 1024)
        .describe('largest manifest accepted (413 beyond)'),
      maxOpenUploads: z
        .number()
        .int()
        .min(1)
        .max(100_000)
        .default(100)
        .describe(
          'blob upload sessions one principal may have open at once (429 TOOMANYREQUESTS beyond; finishing or cancelling one frees its slot); anonymous callers open none',
        ),
      proxies: z
        .array(RegistryProxy)
        .default([])
        .refine((list) => new Set(list.map((p) => p.name)).size === list.length, {
          message: 'proxy names must differ',
        })
        .refine((list) => list.filter((p) => p.dockerMirror).length <= 1, {
          message: 'at most one proxy may be the dockerMirror',
        })
        .describe('pull-through caches of upstream registries (see docs/mirroring.md)'),
      gc: z
        .strictObject({
          graceSeconds: Seconds.default(3600).describe(
            'unreferenced blobs and untagged manifests younger than this survive garbage collection',
          ),
          uploadTtlSeconds: Seconds.default(24 * 3600).describe(
            'upload sessions idle for longer than this are removed',
          ),
        })
        .prefault({}),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('serve Prometheus metrics at /metrics (text format, no authentication)'),
      listen: HostPort.optional().describe(
        'host:port of a listener of its own for /metrics (e.g. 127.0.0.1:9464), which the main listener then no longer answers; bind it to a private address',
      ),
    })
    .prefault({}),
  auth: z
    .strictObject({
      adminKey: z
        .string()
        .min(16)
        .max(255)
        .optional()
        .describe("the bootstrap admin's access key; random and printed once when unset"),
      admins: z
        .array(
          z
            .string()
            .regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +8613800138000'),
        )
        .max(64)
        .default([])
        .describe(
          'phone numbers (E.164) whose accounts are admins: made admin when they sign in (removing one demotes nobody)',
        ),
      tokenTtlSeconds: z
        .number()
        .int()
        .min(30)
        .max(86400)
        .default(300)
        .describe('lifetime of registry bearer tokens'),
      service: z
        .string()
        .min(1)
        .default('appshelf')
        .describe('the service named in registry challenges and tokens'),
      sessionTtlDays: z
        .number()
        .int()
        .min(1)
        .max(365)
        .default(30)
        .describe('lifetime of a login session (web cookie or API token)'),
      secureCookies: z
        .boolean()
        .optional()
        .describe('mark the session cookie Secure; defaults to true when publicUrl is https'),
      rateLimit: z
        .strictObject({
          windowSeconds: z
            .number()
            .int()
            .min(1)
            .max(86_400)
            .default(600)
            .describe(
              'the window of the failed-credential limits; a refused caller waits until its window ends (Retry-After)',
            ),
          failuresPerAddress: z
            .number()
            .int()
            .nonnegative()
            .default(50)
            .describe(
              'failed credentials (registry token, API key or session, login code) per client address (an IPv6 address counts by its /64) in a window; past it every attempt from there gets 429; 0: no limit',
            ),
          failuresPerName: z
            .number()
            .int()
            .nonnegative()
            .default(20)
            .describe(
              'failed credentials per user name (or, at login, per phone) in a window, from any address; past it every attempt for that name gets 429; 0: no limit',
            ),
        })
        .prefault({}),
    })
    .prefault({}),
  sync: z
    .strictObject({
      allowHosts: hostAllowList(
        'internal registries image sync may fetch from: host, host:port, an IP or a CIDR range (e.g. ["registry.corp:5000", "10.20.0.0/16"]); by default sync never connects to loopback, link-local, private, unspecified or multicast addresses, nor to this store',
      ),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      allowHosts: hostAllowList(
        'internal receivers webhooks may be delivered to: host, host:port, an IP or a CIDR range, as sync.allowHosts; by default a hook URL at a loopback, link-local, private, unspecified or multicast address (or this store) is refused when the hook is made and at every delivery',
      ),
      retryBaseSeconds: z
        .number()
        .positive()
        .max(3600)
        .default(30)
        .describe(
          'wait after the first failed delivery attempt; each further failure doubles it (exponential back-off)',
        ),
      retryMaxSeconds: z
        .number()
        .positive()
        .max(86_400)
        .default(3600)
        .describe('the longest wait between two attempts of a delivery'),
      retryForHours: z
        .number()
        .positive()
        .max(720)
        .default(24)
        .describe('how long a failing delivery is retried before it is given up (state failed)'),
      timeoutSeconds: z
        .number()
        .positive()
        .max(300)
        .default(10)
        .describe('time a receiver has to answer one delivery attempt'),
      historyDays: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .default(30)
        .describe(
          'delivered and failed deliveries are kept this long in the history (and can be redelivered), then removed',
        ),
    })
    .prefault({}),
  mirror: MirrorConfig,
  retention: z
    .strictObject({
      intervalSeconds: Seconds.max(30 * 86_400)
        .default(0)
        .describe(
          "how often every namespace's retention rules run on their own (a real run, then GC); 0: only on demand (POST .../retention/run)",
        ),
    })
    .prefault({}),
  rainstore: z
    .strictObject({
      marketDomain: z
        .string()
        .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/, 'expected 1-64 letters, digits, . _ or -')
        .default('appshelf')
        .describe(
          'the market domain a Rainbond console binds (the marketDomain query parameter of /app-server/openapi); other domains get 404',
        ),
      marketName: z
        .string()
        .trim()
        .min(1)
        .max(64)
        .default('appshelf')
        .describe('the market name a Rainbond console shows'),
      pullCredentialTtlSeconds: z
        .number()
        .int()
        .min(1)
        .max(365 * 86400)
        .default(7 * 86400)
        .describe(
          "lifetime of the pull credentials in an install template a Rainbond console fetches (one set per installer access key and app); fetching the template again renews the key's live ones for the app",
        ),
      frameAncestors: z
        .array(
          z
            .string()
            .regex(
              /^(?:'self'|\*|https?:\/\/(?:\*\.)?[a-zA-Z0-9.-]+(?::\d{1,5})?)$/,
              "expected 'self', * or an origin such as https://console.example.com (a leading *. allows its subdomains)",
            ),
        )
        .min(1)
        .max(64)
        .default(["'self'"])
        .describe(
          'who may frame /certification/login, where a Rainbond console\'s user makes a key for it (CSP frame-ancestors; the key is posted only to a listed origin): add each console\'s origin, e.g. ["\'self\'", "https://console.example.com"]; ["*"] lets any site frame the page',
        ),
    })
    .prefault({}),
  sms: z
    .discriminatedUnion('provider', [
      z.strictObject({
        provider: z
          .literal('log')
          .describe(
            'SMS provider: log (development: the code is printed as a plain line on stderr) or webhook',
          ),
      }),
      z.strictObject({
        provider: z.literal('webhook'),
        url: z
          .url()
          .describe('webhook: the SMS gateway URL that receives POST {to, message, code}'),
        headers: z
          .record(z.string(), z.string())
          .default({})
          .describe('webhook: extra request headers, e.g. an authorization secret'),
        template: z
          .string()
          .includes('{code}')
          .default('Your appshelf verification code is {code}. It expires in 10 minutes.')
          .describe('webhook: the message text; {code} is replaced by the code'),
        timeoutMs: z
          .number()
          .int()
          .min(100)
          .max(60_000)
          .default(5000)
          .describe('webhook: time allowed per attempt'),
        retries: z
          .number()
          .int()
          .min(0)
          .max(5)
          .default(2)
          .describe('webhook: further attempts after a timeout, network error or 5xx'),
      }),
    ])
    .prefault({ provider: 'log' }),
});
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
