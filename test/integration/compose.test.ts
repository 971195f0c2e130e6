/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine (there is none in CI):
 * - the compose file goes through a real compose parser (`docker-compose config`, the Debian
 *   package), with and without the demo profile, and its normalized form is read back (with the
 *   parser's own YAML library, PyYAML) to check what the issue asks of it;
 * - the Dockerfile is read for its shape (multi-stage, non-root, no dev dependencies), and its
 *   runtime stage is rebuilt in a temporary directory by the same commands (`npm ci --omit=dev
 *   --ignore-scripts`, the compiled dist/, the migration files), then run: `--help`, `migrate`
 *   and `report` against a fresh database, with no Prisma CLI, compiler or tsx installed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createEmptyDatabase } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const hasCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

function compose(args: string[]): string {
  return execFileSync('docker-compose', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
}

function normalized(args: string[] = []): { services: Record<string, Service> } {
  const yaml = compose([...args, 'config']);
  const json = execFileSync(
    'python3',
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
    { input: yaml, encoding: 'utf8' },
  );
  return JSON.parse(json);
}

describe.skipIf(!hasCompose)('docker-compose.yml', () => {
  it('passes the compose parser, with and without the demo profile', () => {
    expect(() => compose(['config', '-q'])).not.toThrow();
    expect(() => compose(['--profile', 'demo', 'config', '-q'])).not.toThrow();
  });

  it('runs Redis as BullMQ asks, migrates before the worker, and checks every service’s health', () => {
    const { services } = normalized();
    expect(services.redis?.command).toEqual(
      expect.arrayContaining(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']),
    );
    expect(services.migrate?.command).toEqual(['migrate']);
    expect(services.worker?.command).toEqual(['worker']);
    expect(services.worker?.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(services.worker?.depends_on?.redis).toEqual({ condition: 'service_healthy' });
    expect(services.migrate?.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
    expect(services.postgres?.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.redis?.healthcheck?.test.join(' ')).toContain('redis-cli ping');
    expect(services.worker?.healthcheck?.test.join(' ')).toContain('/healthz');
    expect(services.worker?.environment?.DATABASE_URL).toMatch(/@postgres:5432\/timetap$/);
    expect(services.worker?.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(services.worker?.environment?.HTTP_HOST).toBe('0.0.0.0');
    for (const name of ['migrate', 'worker', 'simulator', 'demo-resync']) {
      expect(services[name]?.image, name).toBe('timetap-sync:local');
    }
  });

  it('has a demo profile: the simulator with the keys the worker uses by default, and a first sync', () => {
    const { services } = normalized();
    expect(services.simulator?.profiles).toEqual(['demo']);
    expect(services['demo-resync']?.profiles).toEqual(['demo']);
    for (const name of ['postgres', 'redis', 'migrate', 'worker'])
      expect(services[name]?.profiles).toBeUndefined();
    const command = services.simulator?.command ?? [];
    const option = (flag: string) => command[command.indexOf(flag) + 1];
    expect(option('--host')).toBe('0.0.0.0');
    expect(services.worker?.environment?.TIMETAP_BASE_URL).toBe(`http://simulator:${option('--port')}`);
    expect(services.worker?.environment?.TIMETAP_API_KEY).toBe(option('--api-key'));
    expect(services.worker?.environment?.TIMETAP_PRIVATE_KEY).toBe(option('--private-key'));
    expect(services['demo-resync']?.command).toEqual(['resync']);
    expect(services['demo-resync']?.depends_on?.worker).toEqual({ condition: 'service_healthy' });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';
  /** The runtime stage's install step, continuation lines joined, without the build cache mount. */
  const runtimeInstall = () => {
    const run = /^RUN ((?:.*\\\n)*.*npm ci --omit=dev(?:.*\\\n)*.*)$/m.exec(runtime)?.[1] ?? '';
    return run
      .replace(/\\\n\s*/g, '')
      .replace(/--mount=\S+\s*/g, '')
      .replace(/\s+/g, ' ')
      .trim();
  };

  it('is multi-stage on a current Node LTS image, runs as a non-root user, has no dev dependencies', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-bookworm-slim$/m);
    expect(stages.map((s) => s.split('\n')[0])).toEqual([
      expect.stringMatching(/^\S+ AS build$/),
      expect.stringMatching(/^\S+ AS runtime$/),
    ]);
    expect(stages[0]).toMatch(/^RUN (--mount=\S+ )?npm ci --ignore-scripts/m);
    expect(stages[0]).toContain('RUN npm run build');
    expect(runtimeInstall()).toMatch(
      /^npm ci --omit=dev --ignore-scripts .* && rm -rf node_modules\/prisma /,
    );
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).toContain('COPY prisma/migrations ./prisma/migrations');
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('ENTRYPOINT ["node", "dist/main.js"]');
    expect(runtime).not.toMatch(/prisma (generate|migrate)|npx |tsx|npm run/);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'node_modules', 'dist']));
  });

  it('its runtime stage, rebuilt by the same commands, migrates and reports without dev dependencies', async () => {
    const app = mkdtempSync(join(tmpdir(), 'timetap-sync-image-'));
    const database = await createEmptyDatabase(inject('databaseUrl'));
    try {
      cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
      cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
      // The Dockerfile's own install step, run as written (the local npm cache stands in for the mount).
      execFileSync('sh', ['-c', runtimeInstall()], {
        cwd: app,
        stdio: 'pipe',
        env: { ...process.env, npm_config_prefer_offline: 'true' },
      });
      // The build stage's output: the sources compiled (the generated Prisma client included).
      execFileSync(
        join(ROOT, 'node_modules/.bin/tsc'),
        ['-p', 'tsconfig.build.json', '--outDir', join(app, 'dist')],
        {
          cwd: ROOT,
          stdio: 'pipe',
        },
      );
      cpSync(join(ROOT, 'prisma/migrations'), join(app, 'prisma/migrations'), { recursive: true });
      for (const devOnly of ['prisma', 'typescript', 'tsx', 'vitest', '.bin/prisma']) {
        expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).toBe(false);
      }

      const run = (args: string[]) =>
        spawnSync(process.execPath, ['dist/main.js', ...args], {
          cwd: app,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, DATABASE_URL: database.url, NODE_ENV: 'production' },
        });
      expect(run(['--help']).stdout).toContain('Usage: timetap-sync');
      const migrated = run(['migrate']);
      expect(migrated.status, migrated.stderr).toBe(0);
      expect(migrated.stdout).toContain('ok: applied');
      const report = run(['report']);
      expect(report.status, report.stderr).toBe(0);
      expect(report.stdout).toContain('no sync has run yet');
    } finally {
      rmSync(app, { recursive: true, force: true });
      await database.drop();
    }
  }, 120_000);
});
