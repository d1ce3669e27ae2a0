/**
 * Which requests a pull-through cache serves, decided in memory from the path and the query
 * (no database on the /v2 hot path of local repositories):
 * - `/v2/<proxy>/<upstream repository>/...` (podman, skopeo, anything told the prefix);
 * - `/v2/<repository>/...?ns=<host>` where a proxy lists `<host>` (containerd mirrors);
 * - `/v2/<repository>/...` not held locally, when a proxy is the `dockerMirror` (Docker's
 *   `registry-mirrors`, which sends `library/alpine` for `alpine`).
 * Cached content lives in the local repository `<proxy>/<upstream repository>` in every case, so
 * the three ways share one cache.
 */
import type { ProxyConfig } from './proxy-config.js';

export interface ProxyTarget {
  proxy: ProxyConfig;
  /** The repository on the upstream. */
  upstreamRepository: string;
  /** The local repository that holds the cached content: `<proxy>/<upstream repository>`. */
  repository: string;
}

export class ProxyRoutes {
  private readonly byName = new Map<string, ProxyConfig>();
  private readonly byHost = new Map<string, ProxyConfig>();
  readonly mirror: ProxyConfig | undefined;

  constructor(readonly proxies: readonly ProxyConfig[]) {
    for (const proxy of proxies) {
      this.byName.set(proxy.name, proxy);
      for (const host of proxy.hosts) this.byHost.set(host.toLowerCase(), proxy);
    }
    this.mirror = proxies.find((p) => p.dockerMirror);
  }

  get enabled(): boolean {
    return this.proxies.length > 0;
  }

  /** The proxy whose prefix `repository` starts with, if any (also what access checks ask). */
  proxyOf(repository: string): ProxyConfig | undefined {
    if (this.byName.size === 0) return undefined;
    const slash = repository.indexOf('/');
    return slash === -1 ? undefined : this.byName.get(repository.slice(0, slash));
  }

  /** The target of a prefixed repository name, or of a containerd `ns=` request. */
  resolve(repository: string, ns: string | null): ProxyTarget | undefined {
    const prefixed = this.proxyOf(repository);
    if (prefixed) {
      const upstreamRepository = repository.slice(prefixed.name.length + 1);
      return { proxy: prefixed, upstreamRepository, repository };
    }
    if (ns !== null) {
      const proxy = this.byHost.get(ns.toLowerCase());
      if (proxy) return this.through(proxy, repository);
    }
    return undefined;
  }

  /** The Docker mirror target of an unprefixed repository (the caller knows it is not local). */
  mirrored(repository: string): ProxyTarget | undefined {
    return this.mirror && this.through(this.mirror, repository);
  }

  private through(proxy: ProxyConfig, upstreamRepository: string): ProxyTarget {
    return { proxy, upstreamRepository, repository: `${proxy.name}/${upstreamRepository}` };
  }
}
