/**
 * The generated store of the search and pages benchmarks (search-corpus.ts), optionally kept in
 * a folder (`--store DIR`) and reused by the next run with the same number of apps: building
 * 100,000 apps takes minutes. Each run works on a copy, so a kept store stays as built.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '../server/db/open-database.js';
import { generateCorpus, type Corpus } from './search-corpus.js';

const CORPUS_FILE = 'bench-corpus.json';

/** A generated store in `data`: a copy of the kept one when it has as many apps, else a new one. */
export async function buildStore(
  data: string,
  apps: number,
  kept: string | undefined,
): Promise<Corpus> {
  if (kept) {
    const corpus = await readFile(join(kept, CORPUS_FILE), 'utf8').then(
      (text) => JSON.parse(text) as Corpus,
      () => undefined,
    );
    if (corpus?.apps === apps) {
      await cp(kept, data, { recursive: true });
      process.stderr.write(`store of ${apps} apps copied from ${kept}\n`);
      return corpus;
    }
  }
  const built = Date.now();
  const { sqlite } = openDatabase(data);
  const corpus = generateCorpus(sqlite, apps, Date.now());
  sqlite.pragma('wal_checkpoint(TRUNCATE)');
  sqlite.close();
  process.stderr.write(`store of ${apps} apps built in ${Date.now() - built} ms\n`);
  if (kept) {
    await rm(kept, { recursive: true, force: true });
    await cp(data, kept, { recursive: true });
    await writeFile(join(kept, CORPUS_FILE), JSON.stringify(corpus));
  }
  return corpus;
}
