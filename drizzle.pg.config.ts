import { defineConfig } from 'drizzle-kit';

/**
 * The PostgreSQL dialect's migrations, from the pg-core twins of the schema files that
 * drizzle.config.ts lists. `npm run db:generate` generates both dialects.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: [
    './registry/metadata/schema.pg.ts',
    './server/db/schema.pg.ts',
    './server/db/store-schema.pg.ts',
    './server/db/webhook-schema.pg.ts',
  ],
  out: './server/db/migrations-pg',
});
