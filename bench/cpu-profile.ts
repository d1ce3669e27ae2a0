/** Summarises a V8 .cpuprofile: self time by function and by module, paths relative to the project. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  share: number;
}

function place(url: string, root: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (nm) return `${nm[1]}/${nm[2]}`;
  if (path.startsWith(root)) return path.slice(root.length);
  return path.startsWith('node:') ? path : path.replace(/^.*\//, '');
}

function moduleOf(url: string, root: string): string {
  if (!url) return '(native / GC / idle)';
  const path = url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (nm) return `npm:${nm[1]}`;
  if (path.startsWith('node:')) return path.split('/').slice(0, 1).join('');
  if (path.startsWith(root)) return path.slice(root.length).split('/').slice(0, 2).join('/');
  return path;
}

export function summariseProfile(
  file: string,
  root: string,
  top = 25,
): { functions: ProfileLine[]; modules: ProfileLine[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const fn = new Map<string, number>();
  const mod = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    total += micros;
    const key = `${functionName || '(anonymous)'} ${place(url, root)}${url ? `:${lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + micros);
    const m = functionName === '(garbage collector)' ? '(garbage collector)' : moduleOf(url, root);
    mod.set(m, (mod.get(m) ?? 0) + micros);
  }
  const lines = (map: Map<string, number>): ProfileLine[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({
        name,
        selfMs: micros / 1000,
        share: total ? micros / total : 0,
      }));
  return { functions: lines(fn), modules: lines(mod), totalMs: total / 1000 };
}

export function renderProfile(summary: ReturnType<typeof summariseProfile>): string {
  const row = (l: ProfileLine): string =>
    `${(l.share * 100).toFixed(1).padStart(5)}%  ${l.selfMs.toFixed(0).padStart(7)} ms  ${l.name}`;
  return [
    `appshelf CPU profile: ${summary.totalMs.toFixed(0)} ms of samples (idle excluded)`,
    'self time by module:',
    ...summary.modules.slice(0, 12).map(row),
    'self time by function:',
    ...summary.functions.map(row),
  ].join('\n');
}
