/** Where a component copy may mount blobs from instead of copying them. */
import type { Registry } from '../../../registry/index.js';

/** Other repositories of the namespace tried as mount sources. */
const MAX_MOUNT_SOURCES = 50;

/** The namespace's other repositories: the publisher may read them, so their blobs may be mounted. */
export async function mountSources(
  registry: Registry,
  namespace: string,
  repository: string,
): Promise<string[]> {
  const found: string[] = [];
  let last = `${namespace}/`;
  for (;;) {
    const page = await registry.meta.listRepositories(last, 100);
    for (const name of page) {
      if (!name.startsWith(`${namespace}/`)) return found;
      if (name !== repository) found.push(name);
      if (found.length >= MAX_MOUNT_SOURCES) return found;
    }
    if (page.length < 100) return found;
    last = page.at(-1)!;
  }
}
