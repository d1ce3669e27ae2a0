/** Users for the Rainstore tests: phone login (code read from the server log) and their access keys. */
import { expect } from 'chai';
import { api, loginWithPhone } from '../helpers/accounts.js';
import type { TestServer } from '../helpers/server.js';

export interface Person {
  name: string;
  session: string;
  keys: { read: string; install: string; push: string };
}

export async function person(srv: TestServer, phone: string, name: string): Promise<Person> {
  const { token } = await loginWithPhone(srv, phone, name);
  const key = async (scope: string): Promise<string> => {
    const made = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
      bearer: token,
      body: { name: `rainstore ${scope}`, scopes: [scope] },
    });
    expect(made.status, made.text).to.equal(201);
    return made.body.key;
  };
  return {
    name,
    session: token,
    keys: { read: await key('read'), install: await key('install'), push: await key('push') },
  };
}

/** Puts `<namespace>/<app>` on the shelf through the store API: a free package of `version`, listed. */
export async function shelve(
  srv: TestServer,
  owner: Person,
  repository: string,
  version: string,
): Promise<void> {
  const pkg = await api(srv, 'POST', `/api/v1/apps/${repository}/packages`, {
    bearer: owner.session,
    body: { name: 'free', versions: [version] },
  });
  expect(pkg.status, pkg.text).to.equal(201);
  const listed = await api(srv, 'PUT', `/api/v1/apps/${repository}/shelf`, {
    bearer: owner.session,
    body: { listed: true },
  });
  expect(listed.status, listed.text).to.equal(200);
}
