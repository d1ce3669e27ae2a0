/**
 * Everything the benchmark starts or creates is registered here and removed on exit, on an
 * error, and on Ctrl-C / SIGTERM: child processes (by their own pid) and temp folders.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const folders = new Set<string>();
let installed = false;

export function trackChild(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackFolder(path: string): string {
  folders.add(path);
  return path;
}

/** Kills what is still running (SIGTERM, then SIGKILL after `graceMs`) and removes the folders. */
export async function cleanupAll(graceMs = 5000): Promise<void> {
  await Promise.all([...children].map((child) => stopChild(child, graceMs)));
  removeFolders();
}

export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function removeFolders(): void {
  for (const folder of folders) {
    try {
      rmSync(folder, { recursive: true, force: true });
    } catch {
      // best effort: reported folders are temp folders
    }
    folders.delete(folder);
  }
}

/** Installs the signal and exit hooks once. */
export function installCleanupHooks(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping registries and removing temp folders\n`);
      void cleanupAll(2000).finally(() => process.exit(130));
    });
  }
  // Last resort for a synchronous exit: no waiting possible, so SIGKILL and remove.
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL');
    removeFolders();
  });
}
