// Runs `prisma generate` so that it works offline. The Prisma CLI insists on having its
// schema-engine binary, which it downloads from the internet; `generate` never runs it, so any
// existing file will do. A real engine named by PRISMA_SCHEMA_ENGINE_BINARY is respected.
// Called from scripts/postinstall.mjs and `npm run generate`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };

if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  const dummy = join(tmpdir(), 'timetap-sync-prisma', 'schema-engine-placeholder');
  mkdirSync(dirname(dummy), { recursive: true });
  if (!existsSync(dummy))
    writeFileSync(
      dummy,
      '#!/bin/sh\necho "placeholder: prisma generate does not run the schema engine" >&2\nexit 1\n',
      { mode: 0o755 },
    );
  env.PRISMA_SCHEMA_ENGINE_BINARY = dummy;
}

const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], { cwd: root, env, stdio: 'inherit' });
if (result.error) {
  console.error(`prisma generate could not start: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
