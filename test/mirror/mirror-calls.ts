/** Calls the mirror tests make: an access key on a store, and a mirror run waited for to its end. */
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { MirrorUpstreamStatus } from '../../schemas/mirror.js';
import { api } from '../helpers/accounts.js';
import { ADMIN_KEY, type TestServer } from '../helpers/server.js';

export type MirrorItem = MirrorUpstreamStatus;

/** A new access key of the admin on `srv` with `scope` (the mirror's upstream key reads). */
export async function readKey(srv: TestServer, scope = 'read'): Promise<string> {
  const res = await api<{ key: string }>(srv, 'POST', '/api/v1/keys', {
    bearer: ADMIN_KEY,
    body: { name: `mirror-${scope}-${Date.now()}`, scopes: [scope] },
  });
  expect(res.status, res.text).to.equal(201);
  return res.body.key;
}

/** The upstream's state on the mirror. */
export async function mirrorItem(srv: TestServer, name: string): Promise<MirrorItem> {
  const res = await api<{ items: MirrorItem[] }>(srv, 'GET', '/api/v1/admin/mirror', {
    bearer: ADMIN_KEY,
  });
  expect(res.status, res.text).to.equal(200);
  return res.body.items.find((i) => i.name === name)!;
}

/** POST .../run (202), then the state once the run has finished. */
export async function runMirror(srv: TestServer, name: string): Promise<MirrorItem> {
  const started = await api<MirrorItem>(srv, 'POST', `/api/v1/admin/mirror/${name}/run`, {
    bearer: ADMIN_KEY,
  });
  expect(started.status, started.text).to.equal(202);
  // A run that fails at once (a refused redirect, say) may have ended before the answer is read.
  expect(started.body.state).to.be.oneOf(['running', 'idle']);
  for (;;) {
    const item = await mirrorItem(srv, name);
    if (item.state === 'idle') return item;
    await delay(50);
  }
}
