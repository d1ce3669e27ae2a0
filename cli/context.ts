/**
 * What every command shares: the I/O, the global options, the settings file, and from them the
 * store a command talks to, its credentials, a store API client and a registry client.
 */
import type { Credentials, RegistryClient } from '../registry/client/index.js';
import { configPath, loadConfig, saveConfig, type CliConfig, type StoreLogin } from './config.js';
import { usage } from './errors.js';
import type { Io } from './io.js';
import { StoreApi } from './store-api.js';
import { parseStoreAddress, type StoreAddress } from './store-address.js';

export interface GlobalOptions {
  store?: string | undefined;
}

export class Context {
  readonly configPath: string;
  private config: CliConfig | undefined;

  constructor(
    readonly io: Io,
    private readonly globals: () => GlobalOptions,
    /** Fires on Ctrl-C: transfers stop and clean up. */
    readonly signal?: AbortSignal,
  ) {
    this.configPath = configPath(io.env);
  }

  async settings(): Promise<CliConfig> {
    this.config ??= await loadConfig(this.configPath);
    return this.config;
  }

  async saveSettings(config: CliConfig): Promise<void> {
    await saveConfig(this.configPath, config);
    this.config = config;
  }

  /**
   * The store named in a reference, else --store, else APPSHELF_STORE, else the default store.
   * A bare host[:port] that the settings know keeps the scheme it was logged in with.
   */
  async store(named?: string): Promise<StoreAddress> {
    const text =
      named ??
      this.globals().store ??
      this.io.env.APPSHELF_STORE ??
      (await this.settings()).defaultStore;
    if (!text)
      throw usage(
        'no store given',
        'name one with --store <host[:port]> or APPSHELF_STORE, or run "appshelf login <store>" first',
      );
    const address = parseStoreAddress(text);
    const saved = (await this.settings()).stores[address.host];
    return saved && !/^https?:\/\//i.test(text) ? { host: address.host, url: saved.url } : address;
  }

  async login(store: StoreAddress): Promise<StoreLogin | undefined> {
    return (await this.settings()).stores[store.host];
  }

  /** A store API client; with `required`, fails unless logged in to that store. */
  async api(store: StoreAddress, auth: 'required' | 'optional'): Promise<StoreApi> {
    const login = await this.login(store);
    if (!login && auth === 'required') {
      throw usage(
        `not logged in to ${store.host}`,
        `run "appshelf login ${store.host} --key <key>" first`,
      );
    }
    return new StoreApi(store, login?.key);
  }

  /** A registry client for the store, with the login's user name and key as basic credentials. */
  async registry(store: StoreAddress): Promise<RegistryClient> {
    const { RegistryClient } = await import('../registry/client/index.js');
    return new RegistryClient({
      host: store.url,
      credentials: await this.credentials(store.host),
      userAgent: 'appshelf-cli/0.1',
    });
  }

  /** Credentials for a registry host, when it is a store we are logged in to. */
  async credentials(host: string): Promise<Credentials | undefined> {
    const login = (await this.settings()).stores[host];
    return login ? { username: login.username, password: login.key } : undefined;
  }
}
