/** A tiny browser over fetch for the web tests: a cookie jar, form posts, and phone sign-in. */
import { codeFromLogs } from './accounts.js';
import type { TestServer } from './server.js';

export interface PageAnswer {
  status: number;
  text: string;
  headers: Headers;
}

/** What the browser needs of a store: its address, and its output for the codes it prints. */
export type BrowsedStore = Pick<TestServer, 'url' | 'logs'>;

export class CookieBrowser {
  constructor(
    private readonly srv: BrowsedStore,
    private readonly cookies = new Map<string, string>(),
  ) {}

  /** This browser, with the same cookies, on another process of the same store. */
  on(srv: BrowsedStore): CookieBrowser {
    return new CookieBrowser(srv, this.cookies);
  }

  get cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** The value of one of this browser's cookies. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** A request with this browser's cookies; `form` is posted urlencoded. */
  request(
    method: string,
    path: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageAnswer> {
    return this.send(method, path, form ? new URLSearchParams(form) : undefined, headers);
  }

  /** A request with any body: FormData goes as multipart/form-data, a string as it is. */
  async send(
    method: string,
    path: string,
    body?: FormData | URLSearchParams | string,
    headers: Record<string, string> = {},
  ): Promise<PageAnswer> {
    const res = await fetch(new URL(path, this.srv.url), {
      method,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader, accept: 'text/html', ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/Expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  /** The form token of the page at `path`. */
  async token(path = '/login'): Promise<string> {
    const page = await this.request('GET', path);
    const found = /name="_csrf" value="([^"]+)"/.exec(page.text);
    if (!found) throw new Error(`no form token on ${path} (${page.status})`);
    return found[1]!;
  }

  /** Signs in on /login with a code read from the server log, as user `name` on first login. */
  async signIn(phone: string, name?: string): Promise<void> {
    await this.request('POST', '/login', { _csrf: await this.token(), action: 'code', phone });
    const done = await this.request('POST', '/login', {
      _csrf: await this.token(),
      action: 'login',
      phone,
      code: codeFromLogs(this.srv, phone),
      ...(name ? { name } : {}),
    });
    if (done.status !== 303) throw new Error(`sign-in of ${phone} failed: ${done.status}`);
  }
}
