/** What a search takes and returns (the body of GET /api/v1/search). */
import type { Sort } from './ranking.js';

export interface SearchInput {
  q: string;
  /** Apps with every one of these tags (case-insensitive). */
  tags: readonly string[];
  /** Apps in every one of these categories (case-insensitive). */
  categories: readonly string[];
  /** A namespace. */
  publisher?: string | undefined;
  /** Apps with a version of this architecture. */
  arch?: string | undefined;
  /** Default: relevance with q, installs without. */
  sort?: Sort | undefined;
  page: number;
  pageSize: number;
}

export interface SearchItem {
  namespace: string;
  name: string;
  displayName: string;
  summary: string;
  tags: string[];
  /** Path of the app's logo, null when it has none. */
  logo: string | null;
  latestVersion: string | null;
  installs: number;
  visits: number;
  /** ISO 8601. */
  updatedAt: string;
}

/** An item without its counts: fixed for a content version (kept per doc table). */
export type ShownItem = Omit<SearchItem, 'installs' | 'visits'>;

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchResult {
  items: SearchItem[];
  total: number;
  page: number;
  pageSize: number;
  sort: Sort;
  /** Counts over the whole filtered result, the most frequent first (at most 20 each). */
  facets: {
    tags: FacetCount[];
    categories: FacetCount[];
    publishers: FacetCount[];
    /** The architectures of the apps' versions (amd64, arm64). */
    architectures: FacetCount[];
  };
}
