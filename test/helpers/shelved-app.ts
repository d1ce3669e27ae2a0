/**
 * A user's app on the shelf, made the way users make one: the user signs in with a phone code,
 * the admin key pushes the versions through /v2 (the user's namespace exists from the sign-in),
 * the user makes a free package of the first version and lists the app.
 */
import { expect } from 'chai';
import { pushApp } from '../web/push-app.js';
import { api, loginWithPhone } from './accounts.js';
import { TestRegistryClient } from './registry-client.js';
import { ADMIN_KEY, type TestServer } from './server.js';

/** `user/app` on the shelf with `versions` (package `first` covers the first); the user's session. */
export async function shelvedApp(
  srv: TestServer,
  who: { phone: string; user: string },
  app: string,
  versions: string[] = ['1.0.0'],
): Promise<string> {
  const session = (await loginWithPhone(srv, who.phone, who.user)).token;
  const admin = new TestRegistryClient(srv.url, { username: 'admin', password: ADMIN_KEY });
  for (const v of versions) await pushApp(admin, `${who.user}/${app}`, v);
  const path = `/api/v1/apps/${who.user}/${app}`;
  const pkg = await api(srv, 'POST', `${path}/packages`, {
    bearer: session,
    body: { name: 'first', versions: [versions[0]] },
  });
  expect(pkg.status, pkg.text).to.equal(201);
  const shelf = await api(srv, 'PUT', `${path}/shelf`, { bearer: session, body: { listed: true } });
  expect(shelf.status, shelf.text).to.equal(200);
  return session;
}
