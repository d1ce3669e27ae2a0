/** What the registry needs to know of one pull-through cache (`registry.proxies[]` in config.yml). */
export interface ProxyConfig {
  /** The path prefix: `/v2/<name>/<upstream repository>/...`. */
  name: string;
  /** The upstream registry's base URL. */
  upstream: string;
  /** Registry hosts whose containerd mirror requests (`?ns=<host>`) come here. */
  hosts: readonly string[];
  /** Serves unprefixed repositories not held locally (Docker's `registry-mirrors`). */
  dockerMirror: boolean;
  username: string;
  password: string;
  anonymousPull: boolean;
  tagTtlSeconds: number;
  /** 0: unlimited. */
  maxBytes: number;
  maxConcurrent: number;
  timeoutSeconds: number;
}
