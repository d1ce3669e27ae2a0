/**
 * Column types the PostgreSQL schemas share that drizzle's pg-core does not have built in.
 */
import { bigint, customType, integer } from 'drizzle-orm/pg-core';

/** Raw bytes (SQLite `blob` in buffer mode): node-postgres reads and writes bytea as a Buffer. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});

/** Milliseconds since the epoch (past 2^31), read as a JS number like SQLite's integers. */
export const millis = (name: string) => bigint(name, { mode: 'number' });

/** An identity key that still takes explicit ids (a copy from SQLite keeps them). */
export const id = () => integer('id').primaryKey().generatedByDefaultAsIdentity();
