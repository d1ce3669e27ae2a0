import type { Digest } from '../schemas/oci.js';

/** What the registry reports to whoever indexes it (the store). Past tense: it has happened. */
export type RegistryEvent =
  | {
      type: 'manifest.pushed';
      repository: string;
      digest: Digest;
      mediaType: string;
      artifactType: string | null;
      tag: string | null;
      size: number;
      actor: string;
      /** The client's address, for the audit trail; absent for in-process writers. */
      address?: string | undefined;
    }
  | {
      type: 'manifest.pulled';
      repository: string;
      digest: Digest;
      tag: string | null;
      actor: string;
    }
  | {
      type: 'manifest.deleted';
      repository: string;
      digest: Digest;
      tags: string[];
      actor: string;
      address?: string | undefined;
    }
  | {
      type: 'tag.deleted';
      repository: string;
      digest: Digest;
      tag: string;
      actor: string;
      address?: string | undefined;
    };

/**
 * A listener may answer a promise (the store's index on PostgreSQL writes asynchronously): a
 * push or a removal answers its client only once those have settled, so what the client then
 * asks the store API finds the change (on SQLite the writes are done when the listener returns).
 */
export type EventListener = (event: RegistryEvent) => void | Promise<unknown>;
