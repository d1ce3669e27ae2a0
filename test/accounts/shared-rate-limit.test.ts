import { expect } from 'chai';
import { pino } from 'pino';
import { notificationsOf } from '../../server/db/notifications.js';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import { RateLimiter, type Limiter } from '../../server/accounts/rate-limiter.js';
import { SharedLimiter, storeLimiters } from '../../server/accounts/shared-rate-limit.js';
import { describeDialects } from '../helpers/dialects.js';
import { sql, type SQL } from 'drizzle-orm';

const log = pino({ level: 'silent' });
const WINDOW = 60_000;

async function rows<T>(store: StoreDatabase, query: SQL): Promise<T[]> {
  return store.dialect === 'sqlite'
    ? store.db.all<T>(query)
    : ((await store.db.execute(query)).rows as T[]);
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).to.equal(true);
}

describeDialects('rate limits', ({ dialect, open }) => {
  if (dialect === 'sqlite') {
    it('count in memory on SQLite: no query on the login path', async () => {
      const store = await open();
      const limiter = storeLimiters(store, Date.now, log)('failures.address', 2, WINDOW);
      expect(limiter).to.be.instanceOf(RateLimiter);
      expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).to.deep.equal([
        true,
        true,
        false,
      ]);
      expect(await rows(store, sql`SELECT * FROM rate_limit_counters`)).to.deep.equal([]);
    });
    return;
  }

  // Closed by each test: the dialect helper drops the database after each test, before a
  // hook of this suite would run, and PostgreSQL refuses to drop a database in use.
  const processes: StoreDatabase[] = [];
  const stopProcesses = async (): Promise<void> => {
    for (const store of processes.splice(0)) {
      await notificationsOf(store).close();
      await store.close();
    }
  };
  const test = (title: string, body: () => Promise<void>): void => {
    it(title, async () => {
      try {
        await body();
      } finally {
        await stopProcesses();
      }
    });
  };
  /** A process of the store: its own pool and its own listening connection. */
  const processOf = async (store: StoreDatabase): Promise<StoreDatabase> => {
    const other = await openPgStore(
      store.dialect === 'postgres' ? store.pool.options.connectionString! : '',
    );
    processes.push(other);
    return other;
  };
  const limiterOn = async (
    store: StoreDatabase,
    limit = 3,
    clock = Date.now,
  ): Promise<SharedLimiter> => {
    const limiter = storeLimiters(store, clock, log)(
      'failures.address',
      limit,
      WINDOW,
    ) as SharedLimiter;
    await limiter.ready;
    return limiter;
  };
  const shared = async (store: StoreDatabase, key: string): Promise<number | undefined> => {
    const [row] = await rows<{ count: number }>(
      store,
      sql`SELECT count FROM rate_limit_counters WHERE key = ${key}`,
    );
    return row?.count;
  };

  test('a key exhausted through one process is refused by the other', async () => {
    const db = await open();
    const [a, b] = await Promise.all([
      limiterOn(await processOf(db)),
      limiterOn(await processOf(db)),
    ]);
    for (let i = 0; i < 3; i++) a.count('10.0.0.1');
    await until(() => b.exhausted('10.0.0.1'));
    expect(b.take('10.0.0.1')).to.equal(false);
    expect(b.retryAfter('10.0.0.1')).to.be.within(59, 60);
    expect(b.exhausted('10.0.0.2')).to.equal(false);
  });

  test('counts from every process add up, and a process started later knows the exhausted keys', async () => {
    const db = await open();
    const [a, b] = await Promise.all([
      limiterOn(await processOf(db)),
      limiterOn(await processOf(db)),
    ]);
    for (let i = 0; i < 2; i++) a.count('ada');
    for (let i = 0; i < 2; i++) b.count('ada');
    await until(() => a.exhausted('ada') && b.exhausted('ada'));
    const late: Limiter = await limiterOn(await processOf(db));
    expect(late.exhausted('ada')).to.equal(true);
    for (let i = 0; i < 100 && (await shared(db, 'ada')) !== 4; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await shared(db, 'ada')).to.equal(4);
  });

  test('the first refusal of a window is reported by one process only', async () => {
    const db = await open();
    const [a, b] = await Promise.all([
      limiterOn(await processOf(db)),
      limiterOn(await processOf(db)),
    ]);
    for (let i = 0; i < 3; i++) a.count('x');
    await until(() => b.exhausted('x'));
    const answers = await Promise.all([a.firstTime('x'), b.firstTime('x')]);
    expect(answers.filter(Boolean)).to.have.length(1);
    expect(await a.firstTime('x')).to.equal(false);
  });

  test('a window that ended starts again from one', async () => {
    const db = await open();
    const clock = { now: 1_000_000 };
    const a = await limiterOn(await processOf(db), 3, () => clock.now);
    for (let i = 0; i < 3; i++) a.count('y');
    await until(() => a.exhausted('y'));
    await new Promise((r) => setTimeout(r, 50));
    expect(await shared(db, 'y')).to.equal(3);
    clock.now += WINDOW;
    expect(a.exhausted('y')).to.equal(false);
    a.count('y');
    await new Promise((r) => setTimeout(r, 100));
    expect(await shared(db, 'y')).to.equal(1);
  });
});
