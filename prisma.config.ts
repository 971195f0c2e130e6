/**
 * Prisma 7 reads its datasource URL from here, not from schema.prisma. `.env` is loaded quietly
 * (dotenv is otherwise loaded only by the entry point). The URL may be unset: `prisma generate`
 * does not need it, and this project applies migrations itself (src/db/migrate.ts) in the layout
 * that `prisma migrate deploy` also accepts.
 */
import { config } from 'dotenv';
import { defineConfig } from 'prisma/config';

config({ quiet: true });

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL },
});
