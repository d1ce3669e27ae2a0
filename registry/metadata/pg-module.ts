/**
 * node-postgres, loaded on first use rather than at import: a store on SQLite never uses it, and
 * it costs ~15 MB of RSS (issue 15 §2: the embedded defaults must not get heavier). pg is a
 * CommonJS package, so a synchronous require gives the very module `import pg from 'pg'` does,
 * and the modules that use it stay synchronous. Types come from `import type`, which costs nothing.
 */
import { createRequire } from 'node:module';
import type pgModule from 'pg';

type Pg = typeof pgModule;

let loaded: Pg | undefined;
let numbers: pgModule.CustomTypesConfig | undefined;

export function pg(): Pg {
  return (loaded ??= createRequire(import.meta.url)('pg') as Pg);
}

/** bigint columns (sizes, times, counts) as JS numbers, exact to 2^53 as on SQLite. */
export function int8AsNumber(): pgModule.CustomTypesConfig {
  if (numbers) return numbers;
  const { types } = pg();
  numbers = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === types.builtins.INT8
        ? (value: string) => Number(value)
        : types.getTypeParser(oid, format)) as pgModule.CustomTypesConfig['getTypeParser'],
  };
  return numbers;
}
