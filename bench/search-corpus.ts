/**
 * A generated store for the search benchmark: publishers and apps with realistic words, tags,
 * categories, versions and statistics, written straight into a fresh database. Deterministic
 * (seeded), so every run searches the same store.
 *
 * Texts mix words as prose does: 40% stop words, 45% domain words with Zipf frequencies (rank r
 * drawn with probability ∝ 1/r, over a seeded shuffle of the list, so the broad words differ
 * from run to run of the seed but not between runs), 15% long-tail words (rare terms, product
 * names). A tenth of the apps have long introductions (1,000-3,000 words), which contain most
 * domain words: every domain word matches at least ~10% of the store, the broadest ~90%.
 */
import type Database from 'better-sqlite3';

const WORDS = `
cloud native app platform service database cache queue stream storage backup monitor metrics logging tracing
alert dashboard gateway proxy router balancer mesh network firewall vpn dns certificate identity auth login
user admin team project task issue ticket wiki blog forum chat mail calendar contact crm erp shop cart order
payment invoice billing report analytics search index engine crawler scraper pipeline workflow scheduler cron
job worker batch build deploy release registry image container cluster node pod volume secret config vault
key value document graph relational time series vector embedding model inference training notebook lab data
lake warehouse etl sync replication mirror cdn edge static site cms portal ecommerce marketplace store catalog
media video audio photo gallery stream transcode player music podcast radio news feed rss reader bookmark note
editor office spreadsheet presentation pdf scanner ocr translation language code git repository review ci cd
test quality security scan audit compliance policy governance cost optimization autoscaling high availability
disaster recovery snapshot archive retention encryption token session oauth saml ldap directory sso mfa
iot device sensor telemetry gateway edge robotics game server multiplayer lobby matchmaking leaderboard
education school course exam student teacher hospital clinic patient health fitness finance bank loan
insurance accounting tax payroll hr recruiting survey form feedback helpdesk support knowledge base faq
lightweight fast scalable secure open source enterprise simple modern distributed resilient reliable
self hosted managed serverless realtime offline mobile desktop web api sdk cli plugin extension theme
`
  .trim()
  .split(/\s+/);

const NAME_PARTS = `
nova atlas orbit pulse apex vertex nimbus zephyr quartz ember cobalt onyx jade amber cedar maple birch aspen
falcon raven heron otter badger lynx panda koala tiger wolf fox hawk swift lark finch robin wren sparrow
forge anvil beacon harbor haven summit ridge canyon delta river stream brook lake ocean coral reef tide
spark flare blaze flux volt ion photon quantum pixel vector matrix cipher prism lumen nexus core hub base
`
  .trim()
  .split(/\s+/);

const TAGS = `
database cache monitoring logging security devops ci-cd cms blog ecommerce analytics ai machine-learning
messaging storage backup networking proxy gateway identity collaboration productivity communication media
video iot game education healthcare finance crm erp hr developer-tools testing documentation search
workflow scheduler serverless kubernetes mysql postgresql redis mongodb elasticsearch kafka rabbitmq nginx
java python golang nodejs php rust frontend backend fullstack low-code
`
  .trim()
  .split(/\s+/);

const STOP_WORDS = `
the a an and or for with to of in on your is it that this by from as at be are can you our its into all more
`
  .trim()
  .split(/\s+/);

const CATEGORIES = [
  'web',
  'data',
  'ops',
  'security',
  'business',
  'developer',
  'media',
  'ai',
  'network',
  'iot',
  'education',
  'other',
];

/**
 * Component images, the most used first (Zipf): an app's components are its own image and one
 * or two of these, named as a template names them (service_cname).
 */
const COMPONENT_IMAGES: readonly (readonly [string, string])[] = [
  ['MySQL', 'docker.io/library/mysql:8.0'],
  ['Redis', 'docker.io/library/redis:7'],
  ['Nginx', 'docker.io/library/nginx:1.25'],
  ['PostgreSQL', 'docker.io/library/postgres:16'],
  ['MongoDB', 'docker.io/library/mongo:7'],
  ['RabbitMQ', 'docker.io/library/rabbitmq:3-management'],
  ['Elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch:8.11.0'],
  ['Memcached', 'docker.io/library/memcached:1.6'],
  ['MinIO', 'quay.io/minio/minio:latest'],
  ['Kafka', 'docker.io/bitnami/kafka:3.6'],
  ['MariaDB', 'docker.io/library/mariadb:11'],
  ['Etcd', 'quay.io/coreos/etcd:v3.5.9'],
  ['ClickHouse', 'docker.io/clickhouse/clickhouse-server:23.8'],
  ['Prometheus', 'quay.io/prometheus/prometheus:v2.48.0'],
  ['Grafana', 'docker.io/grafana/grafana:10.2.2'],
];

/** A small seeded generator (mulberry32). */
export function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from a list with Zipf frequencies (s = 1): item r about 1/r as often as the first. */
export function zipf<T>(rnd: () => number, list: readonly T[]): T {
  return list[
    Math.min(list.length - 1, Math.floor(Math.exp(rnd() * Math.log(list.length + 1))) - 1)
  ] as T;
}

function shuffled<T>(rnd: () => number, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Pronounceable rare words: product names, jargon. */
function longTail(rnd: () => number, count: number): string[] {
  const syllables = [
    'ka',
    'lo',
    'mi',
    'ra',
    'ven',
    'tor',
    'ix',
    'zu',
    'pe',
    'dra',
    'sol',
    'qui',
    'bo',
    'ne',
    'tha',
    'gri',
  ];
  return Array.from({ length: count }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 3) }, () => pick(rnd, syllables)).join(''),
  );
}

interface Vocabulary {
  domain: string[];
  tail: string[];
}

export function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(list.length * rnd())] as T;
}

function word(rnd: () => number, v: Vocabulary): string {
  const r = rnd();
  return r < 0.4 ? zipf(rnd, STOP_WORDS) : r < 0.85 ? zipf(rnd, v.domain) : pick(rnd, v.tail);
}

function sentence(rnd: () => number, v: Vocabulary, min: number, max: number): string {
  const n = min + Math.floor(rnd() * (max - min + 1));
  return Array.from({ length: n }, () => word(rnd, v)).join(' ');
}

function paragraphs(rnd: () => number, v: Vocabulary, words: number): string {
  const out: string[] = [];
  for (let left = words; left > 0; left -= 12) out.push(`${sentence(rnd, v, 8, 16)}.`);
  return out.join(rnd() < 0.2 ? '\n\n' : ' ');
}

export interface Corpus {
  apps: number;
  publishers: string[];
  /** Domain words, the broadest first. */
  words: readonly string[];
  nameParts: readonly string[];
  tags: readonly string[];
  categories: readonly string[];
  /** Component names (as templates name them), the most used first. */
  components: readonly string[];
}

/** Writes `count` apps (about 9 in 10 on the shelf) by `count / 50` publishers. */
export function generateCorpus(
  sqlite: Database.Database,
  count: number,
  now: number,
  seed = 42,
): Corpus {
  const rnd = random(seed);
  const vocabulary: Vocabulary = {
    domain: shuffled(rnd, [...new Set(WORDS)]),
    tail: longTail(rnd, 3000),
  };
  const publishers = Array.from(
    { length: Math.max(1, Math.floor(count / 50)) },
    (_, i) => `${pick(rnd, NAME_PARTS)}-${i}`,
  );
  const insertUser = sqlite.prepare(
    'INSERT INTO users (name, display_name, created_at) VALUES (?, ?, ?)',
  );
  const insertApp =
    sqlite.prepare(`INSERT INTO apps (app_key, namespace, name, display_name, summary, introduction, tags, categories,
    listed, logo_key, logo_type, created_at, updated_at) VALUES (@key, @ns, @name, @display, @summary, @intro, @tags, @categories,
    @listed, @logo, @logoType, @created, @updated)`);
  const insertVersion =
    sqlite.prepare(`INSERT INTO versions (app_id, version, state, manifest_digest, template_digest, template, arch,
    created_at, updated_at) VALUES (?, ?, 'ready', ?, ?, '{}', ?, ?, ?)`);
  const insertComponent = sqlite.prepare(
    'INSERT INTO components (version_id, service_key, name, image_digest, source_ref) VALUES (?, ?, ?, ?, ?)',
  );
  const insertPackage = sqlite.prepare(
    "INSERT INTO packages (app_id, name, type, versions, created_at) VALUES (?, ?, 'free', ?, ?)",
  );
  const insertStats = sqlite.prepare(
    'INSERT INTO app_stats_daily (app_id, day, visits, installs, pulls) VALUES (?, ?, ?, ?, ?)',
  );
  const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

  sqlite.transaction(() => {
    for (const p of publishers)
      insertUser.run(
        p,
        `${p.split('-')[0]!.replace(/^./, (c) => c.toUpperCase())} ${pick(rnd, ['Labs', 'Inc', 'Team', 'Studio', 'Cloud'])}`,
        now,
      );
    for (let i = 0; i < count; i++) {
      const name = `${pick(rnd, NAME_PARTS)}-${zipf(rnd, vocabulary.domain)}-${i}`;
      const updated = now - Math.floor(rnd() * 730 * 86_400_000);
      const long = rnd() < 0.1;
      const tags = [
        ...new Set(Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => zipf(rnd, TAGS))),
      ];
      const categories = [
        ...new Set(Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => zipf(rnd, CATEGORIES))),
      ];
      const id = Number(
        insertApp.run({
          key: i.toString(16).padStart(32, '0'),
          ns: zipf(rnd, publishers),
          name,
          display: name
            .split('-')
            .slice(0, 2)
            .map((w) => w.replace(/^./, (c) => c.toUpperCase()))
            .join(' '),
          summary: sentence(rnd, vocabulary, 6, 14),
          intro: paragraphs(
            rnd,
            vocabulary,
            long ? 1000 + Math.floor(rnd() * 2000) : 50 + Math.floor(rnd() * 150),
          ),
          tags: JSON.stringify(tags),
          categories: JSON.stringify(categories),
          listed: rnd() < 0.92 ? 1 : 0,
          logo: rnd() < 0.7 ? `logos/${i}` : null,
          logoType: 'image/png',
          created: updated - 86_400_000,
          updated,
        }).lastInsertRowid,
      );
      const versions = 1 + Math.floor(rnd() * 4);
      const arch = rnd() < 0.7 ? 'amd64' : pick(rnd, ['arm64', 'amd64', 'arm64']);
      // A fifth of the apps also ship their newest version for the other architecture.
      const lastArch = rnd() < 0.2 ? (arch === 'amd64' ? 'arm64' : 'amd64') : arch;
      const parts: (readonly [string, string])[] = [
        [name, `registry.example.com/${name}:1.0`],
        ...new Set(
          Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => zipf(rnd, COMPONENT_IMAGES)),
        ),
      ];
      for (let v = 0; v < versions; v++) {
        const versionId = insertVersion.run(
          id,
          `1.${v}.${Math.floor(rnd() * 10)}`,
          digest(i * 10 + v),
          digest(i * 10 + v),
          v === versions - 1 ? lastArch : arch,
          updated,
          updated,
        ).lastInsertRowid;
        parts.forEach(([cname, image], k) =>
          insertComponent.run(versionId, `svc${k}`, cname, digest(i * 100 + v * 10 + k), image),
        );
      }
      if (rnd() < 0.95) insertPackage.run(id, '1.0.0', '["1.0.0"]', now);
      const installs = Math.floor(10 ** (rnd() * 4.5));
      for (let d = 0; d < 3; d++)
        insertStats.run(
          id,
          `2024-01-0${d + 1}`,
          Math.floor(installs * 3 * rnd()),
          Math.floor(installs * rnd()),
          Math.floor(installs * 2 * rnd()),
        );
    }
  })();
  return {
    apps: count,
    publishers,
    words: vocabulary.domain,
    nameParts: NAME_PARTS,
    tags: TAGS,
    categories: CATEGORIES,
    components: COMPONENT_IMAGES.map(([cname]) => cname),
  };
}
