export { migrateStore, type MigrateOptions, type MigrationSummary } from './migrate-store.js';
export { MigrationError, type MigrationErrorCode } from './migration-error.js';
