/** The CLI's tar writer and reader: round trip, long names (pax), gzip, and what is skipped. */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractTar } from '../../cli/tar-read.js';
import { writeTar } from '../../cli/tar-write.js';

describe('cli: tar', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'appshelf-tar-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const long = `blobs/sha512/${'b'.repeat(128)}`;
  const files: Record<string, Buffer> = {
    'oci-layout': Buffer.from('{"imageLayoutVersion":"1.0.0"}'),
    'blobs/sha256/empty': Buffer.alloc(0),
    'blobs/sha256/exactly-a-block': randomBytes(512),
    'blobs/sha256/big': randomBytes(300_001),
    [long]: Buffer.from('long name'),
  };

  async function archive(): Promise<string> {
    const out = join(dir, 'a.tar');
    const entries = [];
    for (const [i, [name, data]] of Object.entries(files).entries()) {
      const path = join(dir, `src-${i}`);
      await writeFile(path, data);
      entries.push({ name, path, size: data.length });
    }
    await writeTar(out, [{ name: 'blobs', dir: true }, ...entries]);
    return out;
  }

  async function extract(file: string): Promise<Record<string, Buffer>> {
    const got: Record<string, Buffer> = {};
    const paths = new Map<string, string>();
    let n = 0;
    await extractTar(file, (name) => {
      const path = join(dir, `out-${n++}`);
      paths.set(name, path);
      return path;
    });
    for (const [name, path] of paths) got[name] = await readFile(path);
    return got;
  }

  it('reads back what it wrote, long names and all', async () => {
    expect(await extract(await archive())).to.deep.equal(files);
  });

  it('reads a gzip-compressed archive', async () => {
    const gz = join(dir, 'a.tar.gz');
    await writeFile(gz, gzipSync(await readFile(await archive())));
    expect(await extract(gz)).to.deep.equal(files);
  });

  it('writes archives that tar(1) lists', function () {
    const probe = spawnSync('tar', ['--version']);
    if (probe.error) {
      if (process.env.CI === 'true') throw new Error('tar(1) is missing');
      return this.skip();
    }
    return archive().then((file) => {
      const listed = spawnSync('tar', ['-tf', file], { encoding: 'utf8' });
      expect(listed.status, listed.stderr).to.equal(0);
      expect(listed.stdout.trim().split('\n')).to.deep.equal(['blobs/', ...Object.keys(files)]);
    });
  });

  it('skips what the caller refuses and fails on a damaged archive', async () => {
    const file = await archive();
    const kept: string[] = [];
    await extractTar(file, (name) =>
      name === 'oci-layout' ? (kept.push(name), join(dir, 'kept')) : undefined,
    );
    expect(kept).to.deep.equal(['oci-layout']);
    const bytes = await readFile(file);
    bytes[100] = 0x41; // inside the first header: its checksum no longer matches
    await writeFile(join(dir, 'bad.tar'), bytes);
    let error: unknown;
    await extractTar(join(dir, 'bad.tar'), () => undefined).catch((err: unknown) => (error = err));
    expect(String(error)).to.contain('bad header checksum');
    await writeFile(join(dir, 'short.tar'), (await readFile(file)).subarray(0, 3000));
    error = undefined;
    await extractTar(join(dir, 'short.tar'), (name) =>
      join(dir, `x-${name.replace(/\//g, '_')}`),
    ).catch((err: unknown) => (error = err));
    expect(String(error)).to.contain('truncated');
  });
});
