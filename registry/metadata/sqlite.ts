import type Database from 'better-sqlite3';

/** The registry's view of the database: a better-sqlite3 connection with the registry tables. */
export type SqliteDb = Database.Database;
