import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: [
    './registry/metadata/schema.ts',
    './server/db/schema.ts',
    './server/db/store-schema.ts',
    './server/db/webhook-schema.ts',
  ],
  out: './server/db/migrations',
});
