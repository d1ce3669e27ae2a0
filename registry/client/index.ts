/**
 * The registry client: what image sync, the store mirror and the CLI use to talk to registries
 * (and to OCI image layouts on disk).
 */
export {
  RegistryClient,
  nextLink,
  type FetchedManifest,
  type RegistryClientOptions,
} from './registry-client.js';
export { RemoteRepository } from './remote-repository.js';
export { OciLayout, REF_NAME } from './oci-layout.js';
export { copyImage, type CopyImageOptions, type CopyResult } from './copy-image.js';
export {
  appClosure,
  templatePlugins,
  type AppClosure,
  type AppClosureOptions,
  type ClosureItem,
  type ClosureRole,
  type ClosureRoot,
  type ExternalPlugin,
} from './app-closure.js';
export type {
  BlobStatus,
  CopyEvent,
  CopyStats,
  CopyTotals,
  ManifestStatus,
} from './copy-progress.js';
export {
  blockedCause,
  ClientError,
  isClientError,
  type ClientErrorCode,
  type RegistryErrorEntry,
} from './errors.js';
export {
  parseChallenges,
  mergeScopes,
  repositoryScope,
  type Challenge,
  type Credentials,
} from './auth.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export { DEFAULT_CHUNK_SIZE, parseUploadRange } from './blob-upload.js';
export { pushResumable, type OpenContent } from './resumable-push.js';
export {
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  isIndexType,
  isManifestType,
  parseNode,
  type ParsedNode,
} from './manifest.js';
export { digestOf, isDigest, readLimited, verifyBytes, verifying } from './digest.js';
export { baseUrlOf } from './transport.js';
export {
  canonicalHost,
  classifyAddress,
  type AddressClass,
  type Classified,
} from './outbound-address.js';
export {
  OutboundBlockedError,
  OutboundPolicy,
  parseAllowEntry,
  type AllowEntry,
  type BlockReason,
  type OutboundPolicyOptions,
  type Resolve,
  type SelfAddress,
} from './outbound-guard.js';
export {
  createOutboundFetch,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  type OutboundTimeouts,
} from './outbound-fetch.js';
export {
  canMount,
  canResume,
  type CallOptions,
  type CopySource,
  type CopyTarget,
  type Deleter,
  type Fetcher,
  type FetchOptions,
  type MountResult,
  type Mounter,
  type Platform,
  type PushOptions,
  type Pusher,
  type ReadOnlyStorage,
  type ReferencePusher,
  type RepositoryProvider,
  type Resolver,
  type ResumablePusher,
  type Storage,
  type TagLister,
  type UploadSession,
} from './content.js';
