/**
 * Column types the PostgreSQL schemas share that drizzle's pg-core does not have built in.
 */
import { customType } from 'drizzle-orm/pg-core';

/** Raw bytes (SQLite `blob` in buffer mode): node-postgres reads and writes bytea as a Buffer. */
export const bytea = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'bytea',
});
