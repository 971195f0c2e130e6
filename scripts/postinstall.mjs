// Runs after `npm install` / `npm ci`: generates the Prisma client (offline, see
// scripts/prisma-generate.mjs) and compiles src/ to dist/ so that `npx timetap-sync` works at once.
// In a production image (`npm ci --omit=dev`) the compiler is absent and dist/ is copied in
// from the build stage instead, so both steps are skipped when their tool is missing.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

function step(label, command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`postinstall: ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

if (existsSync(bin('prisma')))
  step('prisma generate', process.execPath, [join(root, 'scripts/prisma-generate.mjs')]);
if (existsSync(bin('tsc'))) {
  step('tsc', bin('tsc'), ['-p', join(root, 'tsconfig.build.json')]);
  chmodSync(join(root, 'dist/main.js'), 0o755);
}
