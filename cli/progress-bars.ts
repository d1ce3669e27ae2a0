/**
 * Copy progress as bars (cli-progress) on a terminal: one per component (or image, or app
 * version) with bytes, rate and ETA; retries and warnings print above the bars. Not on a terminal
 * the bars stay away: the line printer of progress.ts runs instead (quiet unless
 * APPSHELF_PROGRESS=1), so logs and pipes get no control characters.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import type { CopyEvent } from '../registry/client/index.js';
import { bytes } from './format.js';
import type { Io } from './io.js';
import { progressPrinter } from './progress.js';

export interface ProgressView {
  /** The listener for the copies shown under `label`. */
  listener(label: string): (event: CopyEvent) => void;
  /** Removes the bars (call before printing the result). */
  stop(): void;
}

export function progressView(io: Io): ProgressView {
  const stream = io.stderrStream;
  if (!io.interactive || !stream) {
    const printers = new Map<string, (event: CopyEvent) => void>();
    return {
      listener: (label) => {
        let p = printers.get(label);
        if (!p) printers.set(label, (p = progressPrinter(io, label)));
        return p;
      },
      stop: () => undefined,
    };
  }
  const bars = new MultiBar({
    stream,
    format: '{label} [{bar}] {percentage}% {done}/{size} {rate}/s ETA {eta_formatted}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
    fps: 5,
  });
  const shown = new Map<string, { bar: SingleBar; started: number }>();
  const width = { label: 0 };
  return {
    listener: (label) => (event) => {
      const { totals } = event;
      let entry = shown.get(label);
      if (!entry) {
        width.label = Math.max(width.label, label.length);
        entry = { bar: bars.create(Math.max(totals.bytes, 1), 0), started: Date.now() };
        shown.set(label, entry);
      }
      if (event.type === 'blob' && event.status === 'retrying') {
        const why = event.error instanceof Error ? event.error.message : String(event.error);
        bars.log(`${label}: retrying ${event.digest.slice(0, 19)} (${why})\n`);
      }
      const seconds = Math.max((Date.now() - entry.started) / 1000, 0.001);
      entry.bar.setTotal(Math.max(totals.bytes, 1));
      entry.bar.update(totals.bytesDone, {
        label: label.padEnd(width.label),
        done: bytes(totals.bytesDone),
        size: bytes(totals.bytes),
        rate: bytes(Math.round(totals.bytesTransferred / seconds)),
      });
    },
    stop: () => bars.stop(),
  };
}
