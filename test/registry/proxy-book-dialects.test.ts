/**
 * The pull-through caches' bookkeeping on both engines (docs/decisions/0003): what a proxy
 * holds, its counters, the LRU order of eviction, and two books on one database (two
 * processes) whose counters add up and whose concurrent evictions let go of each item once.
 */
import { expect } from 'chai';
import pino from 'pino';
import type { Digest } from '../../schemas/oci.js';
import { ProxyBook } from '../../registry/proxy/proxy-book.js';
import { describeDialects } from '../helpers/dialects.js';

const log = pino({ level: 'silent' });
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}` as Digest;

describeDialects('registry: pull-through cache bookkeeping', ({ open }) => {
  it('counts, sums and evicts the least recently pulled first', async () => {
    const store = await open();
    let now = 1_000;
    const book = new ProxyBook(store, () => now, log);
    for (let i = 1; i <= 4; i++) {
      now += 10;
      await book.held('hub', {
        repository: `hub/r${i % 2}`,
        digest: digest(i),
        kind: 'blob',
        size: 100,
      });
    }
    now += 10;
    book.touch('hub/r1', digest(1)); // the oldest, pulled again: now the newest
    book.count('hub', 'hits');
    book.count('hub', 'misses');
    book.count('hub', 'misses');
    book.tagChecked('hub/r1', 'latest');
    expect(await book.summary('hub')).to.deep.equal({
      repositories: 2,
      bytes: 400,
      hits: 1,
      misses: 2,
      upstreamErrors: 0,
    });
    const evicted = await book.evictBeyond('hub', 250);
    expect(evicted.map((e) => e.digest)).to.deep.equal([digest(2), digest(3)]);
    expect((await book.summary('hub')).bytes).to.equal(200);
    await book.close();

    const again = new ProxyBook(store, () => now, log);
    await again.summary('hub'); // the tag checks are read at start
    expect(again.tagCheckedAt('hub/r1', 'latest')).to.equal(now);
    await again.close();
  });

  it('two books on one database: counters add up, each item is evicted once', async () => {
    const store = await open();
    const [a, b] = [new ProxyBook(store, Date.now, log), new ProxyBook(store, Date.now, log)];
    for (let i = 1; i <= 20; i++)
      await (i % 2 ? a : b).held('hub', {
        repository: 'hub/x',
        digest: digest(i),
        kind: 'blob',
        size: 10,
      });
    a.count('hub', 'hits');
    b.count('hub', 'hits');
    b.count('hub', 'upstreamErrors');
    const [fromA, fromB] = await Promise.all([a.evictBeyond('hub', 50), b.evictBeyond('hub', 50)]);
    const all = [...fromA, ...fromB].map((e) => e.digest);
    expect(new Set(all).size).to.equal(all.length);
    const summary = await a.summary('hub');
    expect(summary.bytes).to.be.at.most(50);
    expect(all.length).to.equal(20 - summary.bytes / 10);
    expect([summary.hits, summary.upstreamErrors]).to.deep.equal([2, 1]);
    await Promise.all([a.close(), b.close()]);
  });
});
