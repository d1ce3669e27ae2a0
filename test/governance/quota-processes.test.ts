/**
 * Quota checks where pushes race: blob uploads to one namespace through two registries over one
 * PostgreSQL database (two pools, as two processes), and through one registry on SQLite (its
 * figure is per process), get exactly the room there is; the rest are refused with DENIED.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { allowAll } from '../../registry/manifests/manifest-guard.js';
import { createRegistry, type Registry, type RegistryAccess } from '../../registry/index.js';
import { createFsDriver } from '../../registry/storage/fs-driver.js';
import { openPgStore, type StoreDatabase } from '../../server/db/store-database.js';
import { quotaRepository } from '../../server/governance/quota-repository.js';
import { Quotas } from '../../server/governance/quotas.js';
import { insertUser } from '../helpers/account-rows.js';
import { describeDialects } from '../helpers/dialects.js';

const openAccess: RegistryAccess = {
  check: () => Promise.resolve({ name: 'tester', anonymous: false }),
  allows: () => Promise.resolve(true),
};

interface Process {
  registry: Registry;
  server: Server;
  url: string;
}

async function startProcess(database: StoreDatabase, root: string): Promise<Process> {
  const registry = createRegistry({
    database,
    driver: createFsDriver(join(root, 'storage')),
    stagingDir: join(root, 'staging'),
    access: openAccess,
    log: pino({ level: 'silent' }),
    maxManifestBytes: 4 * 1024 * 1024,
    maxOpenUploads: 50,
    gc: { graceSeconds: 0, uploadTtlSeconds: 3600 },
  });
  const quotas = new Quotas({ repository: quotaRepository(database), clock: Date.now });
  registry.setGuard(quotas.attach(registry, allowAll));
  const server = createServer(registry.handle).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { registry, server, url: `http://127.0.0.1:${port}` };
}

const sha256 = (bytes: Buffer): string =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describeDialects('quota checks of racing pushes', ({ dialect, open }) => {
  it('lets in exactly what fits and refuses the rest with DENIED', async () => {
    const root = await mkdtemp(join(tmpdir(), 'appshelf-quota-'));
    const store = await open();
    const other =
      store.dialect === 'postgres'
        ? await openPgStore((store.pool.options as { connectionString?: string }).connectionString!)
        : store;
    const processes: Process[] = [];
    try {
      await insertUser(store, 'acme');
      const repo = quotaRepository(store);
      await repo.setQuota((await repo.namespaceId('acme'))!, 1000, 0, Date.now());
      processes.push(await startProcess(store, root));
      if (dialect === 'postgres') processes.push(await startProcess(other, root));
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const blob = randomBytes(300);
          const via = processes[i % processes.length]!;
          const res = await fetch(
            `${via.url}/v2/acme/app${i % 3}/blobs/uploads/?digest=${sha256(blob)}`,
            {
              method: 'POST',
              headers: { 'Content-Type': 'application/octet-stream' },
              body: blob,
            },
          );
          const body = await res.text();
          if (res.status === 403) expect(body).to.include('DENIED');
          return res.status;
        }),
      );
      expect(statuses.filter((s) => s === 201)).to.have.length(3); // 3 × 300 ≤ 1000
      expect(statuses.filter((s) => s === 403)).to.have.length(7);
      expect(await repo.count('acme', Date.now())).to.equal(900);
    } finally {
      for (const p of processes) {
        p.server.closeAllConnections();
        p.server.close();
        await p.registry.close();
      }
      if (other !== store) await other.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
