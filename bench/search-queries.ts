/** The search benchmark's query mix (bench/search.ts). */
import { pick, random, zipf, type Corpus } from './search-corpus.js';

export interface Query {
  kind: string;
  params: Record<string, string>;
}

/**
 * The query mix: each kind as often as the others, parameters drawn from the corpus. People
 * search for domain words (any of them, not only the frequent ones); `broad word` takes one of
 * the five most frequent, which match most of the store.
 */
export function queries(corpus: Corpus, count: number, seed: number): Query[] {
  const rnd = random(seed);
  const word = (): string => pick(rnd, corpus.words);
  const kinds: (() => Query)[] = [
    () => ({ kind: 'one word', params: { q: word() } }),
    () => ({ kind: 'component', params: { q: zipf(rnd, corpus.components).toLowerCase() } }),
    () => ({ kind: 'broad word', params: { q: pick(rnd, corpus.words.slice(0, 5)) } }),
    () => ({ kind: 'two words', params: { q: `${word()} ${word()}` } }),
    () => ({
      kind: 'prefix',
      params: {
        q: pick(rnd, [...corpus.words, ...corpus.nameParts]).slice(0, 2 + Math.floor(rnd() * 3)),
      },
    }),
    () => ({ kind: 'word + filter', params: { q: word(), ...filter() } }),
    () => ({
      kind: 'word, other sort',
      params: { q: word(), sort: pick(rnd, ['installs', 'updated', 'name']) },
    }),
    () => ({
      kind: 'browse (no q)',
      params: {
        sort: pick(rnd, ['installs', 'updated', 'name', 'relevance']),
        ...(rnd() < 0.5 ? filter() : {}),
      },
    }),
    () => ({
      kind: 'deep page',
      params: {
        ...(rnd() < 0.5 ? { q: word() } : {}),
        page: String(10 + Math.floor(rnd() * 90)),
        pageSize: '20',
      },
    }),
    () => ({
      kind: 'fts garbage',
      params: {
        q: pick(rnd, ['"', '*', 'AND (', 'NEAR(', `${word()} OR`, `"${word()}`, `${word()}:*`]),
      },
    }),
  ];
  const filter = (): Record<string, string> => {
    switch (Math.floor(rnd() * 4)) {
      case 0:
        return { tag: zipf(rnd, corpus.tags) };
      case 1:
        return { category: pick(rnd, corpus.categories) };
      case 2:
        return { publisher: zipf(rnd, corpus.publishers) };
      default:
        return { arch: 'arm64' };
    }
  };
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!());
}
