/**
 * The S3 endpoint of `BENCH_STORAGE=s3`: one s3rver (npm) in a child process on loopback, with
 * one bucket that both registries write to under their own prefix, so they share the same S3
 * service and disk. s3rver 3.7 checks no signatures; `--openssl-legacy-provider` lets it list past
 * 1,000 keys on Node 20. The registries reach it through a shim that adds the multipart listings
 * Distribution's s3 driver needs (bench/s3-multipart-shim.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild, trackChild, trackFolder } from './cleanup.js';
import { startMultipartShim } from './s3-multipart-shim.js';
import { ROOT } from './targets.js';

export interface BenchS3 {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startS3rver(): Promise<BenchS3> {
  const dir = trackFolder(mkdtempSync(join(tmpdir(), 'bench-s3rver-')));
  const bucket = 'bench';
  const child = trackChild(
    spawn(
      process.execPath,
      [
        '--openssl-legacy-provider',
        join(ROOT, 'node_modules/s3rver/bin/s3rver.js'),
        ...['-d', dir, '-a', '127.0.0.1', '-p', '0', '--silent', '--configure-bucket', bucket],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const look = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /S3rver listening on [^:]+:(\d+)/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', (code) => reject(new Error(`s3rver exited ${code}: ${output}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const shim = await startMultipartShim(`http://127.0.0.1:${port}`);
  return {
    endpoint: shim.endpoint,
    bucket,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    pid: child.pid!,
    async stop() {
      await shim.close();
      await stopChild(child, 5_000);
    },
  };
}
