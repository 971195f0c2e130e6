/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine (there is none in CI):
 * - the compose file goes through a real compose parser (`docker-compose config`, the Debian
 *   package), in a directory of its own with a `.env` made as a user makes it (a copy of
 *   .env.example, then edited), with and without the demo profile; its normalized form is read
 *   back (with the parser's own YAML library, PyYAML) to check that every documented variable
 *   reaches the worker, that production never runs on the simulator or demo keys (the worker
 *   refuses to start: the CLI is run with the worker's rendered environment), and the rest;
 * - the Dockerfile is read for its shape (multi-stage, non-root, no dev dependencies), and its
 *   runtime stage is rebuilt in a temporary directory by the same commands (`npm ci --omit=dev
 *   --ignore-scripts`, the compiled dist/, the migration files), then run: `--help`, `migrate`
 *   and `report` against a fresh database, with no Prisma CLI, compiler or tsx installed.
 * Without the docker-compose binary the compose tests are skipped, and say so (`[...]` after
 * each test's name in vitest's output).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { runCli } from '../helpers/cli.js';
import { createEmptyDatabase } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const hasCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
const NO_COMPOSE =
  'the docker-compose binary is not installed, so docker-compose.yml was not checked ' +
  '(`apt-get install docker-compose`; .ci/run installs it)';

/** What compose sets for the worker itself, whatever .env says: its own services and port. */
const COMPOSE_OWNED = ['DATABASE_URL', 'REDIS_URL', 'HTTP_HOST', 'HTTP_PORT'];
const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
const exampleValues = parseDotenv(example);

interface Service {
  image?: string;
  volumes?: string[];
  build?: unknown;
  command?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
  ports?: string[];
}

const projects: string[] = [];
afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** The compose file in a directory of its own, with `dotenv` as its .env (none if undefined). */
function project(dotenv: string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), 'timetap-sync-compose-'));
  projects.push(dir);
  cpSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  if (dotenv !== undefined) writeFileSync(join(dir, '.env'), dotenv);
  return dir;
}

function compose(dir: string, args: string[]): string {
  return execFileSync('docker-compose', args, {
    cwd: dir,
    encoding: 'utf8',
    stdio: 'pipe',
    env: { PATH: process.env.PATH },
  });
}

function normalized(dotenv: string = example, args: string[] = []): { services: Record<string, Service> } {
  const yaml = compose(project(dotenv), [...args, 'config']);
  const json = execFileSync(
    'python3',
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'],
    { input: yaml, encoding: 'utf8' },
  );
  return JSON.parse(json);
}

/** A YAML file of the repository, read by the compose parser's own YAML library. */
function yamlFile<T>(path: string): T {
  const json = execFileSync(
    'python3',
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', join(ROOT, path)],
    { encoding: 'utf8' },
  );
  return JSON.parse(json) as T;
}

/** A service's bind mounts, each as the repository path it mounts (compose makes them absolute). */
function mounts(service: Service | undefined): Array<{ source: string; target: string }> {
  return (service?.volumes ?? [])
    .map((volume) => volume.split(':'))
    .filter(([source]) => source?.startsWith('/'))
    .map(([source = '', target = '']) => ({
      source: source.replace(/^.*\/timetap-sync-compose-[^/]+\//, ''),
      target,
    }));
}

/** .env.example with some lines changed, as a user edits a copy of it. */
function edited(changes: Record<string, string>): string {
  return example
    .split('\n')
    .map((line) => {
      const name = /^([A-Z0-9_]+)=/.exec(line)?.[1];
      return name !== undefined && name in changes ? `${name}=${changes[name]}` : line;
    })
    .join('\n');
}

/** `30s`, `1m30s`, `1500ms` in milliseconds. */
function durationMs(value: string | undefined): number {
  let total = 0;
  for (const [, amount, unit] of (value ?? '').matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

describe('docker-compose.yml', () => {
  beforeAll(() => {
    // vitest's default reporter shows a skipped test's note only in verbose mode: say it here too.
    if (!hasCompose) console.warn(`docker-compose.yml tests skipped: ${NO_COMPOSE}`);
  });
  beforeEach((ctx) => {
    ctx.skip(!hasCompose, NO_COMPOSE);
  });

  it('passes the compose parser with a .env copied from .env.example, with and without the demo and observability profiles', () => {
    const dir = project(example);
    expect(() => compose(dir, ['config', '-q'])).not.toThrow();
    expect(() => compose(dir, ['--profile', 'demo', 'config', '-q'])).not.toThrow();
    expect(() => compose(dir, ['--profile', 'observability', 'config', '-q'])).not.toThrow();
    expect(() =>
      compose(dir, ['--profile', 'demo', '--profile', 'observability', 'config', '-q']),
    ).not.toThrow();
  });

  it('has an observability profile: Prometheus scraping the workers with the alert rules, Grafana with the dashboard', () => {
    const { services } = normalized(example, ['--profile', 'demo', '--profile', 'observability']);
    for (const name of ['prometheus', 'grafana'])
      expect(services[name]?.profiles, name).toEqual(['observability']);

    // Prometheus: its configuration and rules from deploy/prometheus, the workers by service name.
    const prometheus = services.prometheus;
    const configMount = mounts(prometheus).find((m) => m.target === '/etc/prometheus');
    expect(configMount?.source).toBe('deploy/prometheus');
    expect(prometheus?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const config = yamlFile<{
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; dns_sd_configs: Array<{ names: string[]; port: number }> }>;
    }>('deploy/prometheus/prometheus.yml');
    expect(config.rule_files).toEqual(['alerts.yml']);
    expect(existsSync(join(ROOT, 'deploy/prometheus', 'alerts.yml'))).toBe(true);
    const scraped = config.scrape_configs.flatMap((job) =>
      job.dns_sd_configs.flatMap((sd) =>
        sd.names.map((name) => ({ job: job.job_name, name, port: sd.port })),
      ),
    );
    expect(scraped).toEqual([
      { job: 'timetap-sync', name: 'worker', port: Number(services.worker?.environment?.HTTP_PORT) },
      {
        job: 'timetap-sync-demo',
        name: 'demo-worker',
        port: Number(services['demo-worker']?.environment?.HTTP_PORT),
      },
    ]);

    // Grafana: Prometheus as its data source, the dashboard where its provider looks.
    const grafana = services.grafana;
    const provisioning = mounts(grafana).find((m) => m.target === '/etc/grafana/provisioning');
    expect(provisioning?.source).toBe('deploy/grafana/provisioning');
    const source = yamlFile<{ datasources: Array<{ uid: string; url: string; type: string }> }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(source.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const provider = yamlFile<{ providers: Array<{ options: { path: string } }> }>(
      'deploy/grafana/provisioning/dashboards/timetap-sync.yml',
    );
    const dashboard = mounts(grafana).find((m) => m.source === 'deploy/grafana/timetap-sync.json');
    expect(dashboard?.target).toBe(`${provider.providers[0]?.options.path}/timetap-sync.json`);
    expect(grafana?.depends_on?.prometheus).toEqual({ condition: 'service_healthy' });
    for (const mount of [...mounts(prometheus), ...mounts(grafana)]) {
      expect(existsSync(join(ROOT, mount.source)), mount.source).toBe(true);
    }
    // Reachable from this machine only, on ports of their own.
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    for (const name of ['prometheus', 'grafana']) {
      for (const port of services[name]?.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
    const hostPorts = ports.map((p) => p.split(':')[1]);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('refuses to run without a .env: production has no settings to fall back on', () => {
    const result = spawnSync('docker-compose', ['config', '-q'], {
      cwd: project(undefined),
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/\.env/);
  });

  it('passes every variable of .env.example to the worker as .env sets it, but its own services', () => {
    const names = Object.keys(exampleValues);
    expect(names.length).toBeGreaterThan(30);
    const { services } = normalized();
    const environment = services.worker?.environment ?? {};
    for (const name of names) {
      expect(environment, `${name} does not reach the worker`).toHaveProperty(name);
      if (!COMPOSE_OWNED.includes(name)) expect(environment[name], name).toBe(exampleValues[name]);
    }
    // An edited .env reaches the worker as edited: nothing is silently dropped.
    const changes = {
      SYNC_ALLOW_MASS_DELETE: 'true',
      SHUTDOWN_GRACE_MS: '12000',
      JOB_ATTEMPTS: '9',
      TIMETAP_API_KEY: 'key-from-env-file',
      WORKER_LOCK_DURATION_MS: '45000',
    };
    const mine = normalized(edited(changes)).services;
    expect(mine.worker?.environment).toMatchObject(changes);
    // The one-shot migrate reads the same file (LOG_LEVEL, the database timeouts).
    expect(mine.migrate?.environment).toMatchObject({ JOB_ATTEMPTS: '9', LOG_LEVEL: 'info' });
  });

  it('production never runs on demo settings: the worker refuses to start without real TimeTap keys', async () => {
    for (const args of [[], ['--profile', 'demo']]) {
      const { services } = normalized(example, args);
      const production = ['migrate', 'worker'].map((name) => JSON.stringify(services[name]));
      for (const text of production) {
        expect(text).not.toMatch(/simulator|demo-api-key|demo-private-key|timetap_demo/);
      }
      expect(services.worker?.depends_on).not.toHaveProperty('simulator');
    }
    // What the container would run: the worker with the environment compose gives it.
    const { services } = normalized();
    const started = Date.now();
    const refused = await runCli(['worker'], { ...services.worker?.environment }, 30_000);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('TIMETAP_API_KEY is required');
    expect(refused.stderr).toContain('TIMETAP_PRIVATE_KEY is required');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('gives the worker longer than its own shutdown to stop (Docker kills after 10 s by default)', () => {
    const { services } = normalized();
    const graceMs = Number(exampleValues.SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    for (const name of ['worker']) {
      // The worker's own hard stop is twice the grace period plus 5 s (commands/worker.ts).
      expect(durationMs(services[name]?.stop_grace_period), name).toBeGreaterThanOrEqual(2 * graceMs + 5_000);
    }
    const demo = normalized(example, ['--profile', 'demo']).services;
    expect(durationMs(demo['demo-worker']?.stop_grace_period)).toBeGreaterThanOrEqual(2 * 10_000 + 5_000);
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
    expect(services.migrate?.environment?.DATABASE_URL).toBe(services.worker?.environment?.DATABASE_URL);
    expect(services.worker?.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(services.worker?.environment?.HTTP_HOST).toBe('0.0.0.0');
    const demo = normalized(example, ['--profile', 'demo']).services;
    for (const name of ['migrate', 'worker', 'simulator', 'demo-migrate', 'demo-worker', 'demo-resync']) {
      expect(demo[name]?.image, name).toBe('timetap-sync:local');
    }
  });

  it('has a demo profile: the simulator, and a database, worker and queue of its own', () => {
    const { services } = normalized(example, ['--profile', 'demo']);
    const demoServices = ['simulator', 'demo-migrate', 'demo-worker', 'demo-resync'];
    for (const name of demoServices) expect(services[name]?.profiles, name).toEqual(['demo']);
    for (const name of ['postgres', 'redis', 'migrate', 'worker'])
      expect(services[name]?.profiles, name).toBeUndefined();

    const command = services.simulator?.command ?? [];
    const option = (flag: string) => command[command.indexOf(flag) + 1];
    expect(option('--host')).toBe('0.0.0.0');
    const worker = services['demo-worker']?.environment ?? {};
    expect(worker.TIMETAP_BASE_URL).toBe(`http://simulator:${option('--port')}`);
    expect(worker.TIMETAP_API_KEY).toBe(option('--api-key'));
    expect(worker.TIMETAP_PRIVATE_KEY).toBe(option('--private-key'));
    // Plain http to another container: the configuration refuses it unless told otherwise.
    expect(() => loadConfig(worker, ['timetap', 'database', 'redis', 'schedule'])).not.toThrow();
    // Never the production mirror or queue.
    expect(worker.DATABASE_URL).toMatch(/@postgres:5432\/timetap_demo$/);
    expect(services['demo-migrate']?.environment?.DATABASE_URL).toBe(worker.DATABASE_URL);
    expect(services['demo-migrate']?.command).toEqual(['migrate', '--create-database']);
    expect(worker.QUEUE_PREFIX).toBeDefined();
    expect(worker.QUEUE_PREFIX).not.toBe(services.worker?.environment?.QUEUE_PREFIX);
    expect(services['demo-resync']?.environment?.QUEUE_PREFIX).toBe(worker.QUEUE_PREFIX);
    expect(services['demo-resync']?.command).toEqual(['resync']);
    expect(services['demo-resync']?.depends_on?.['demo-worker']).toEqual({ condition: 'service_healthy' });
    expect(services['demo-worker']?.depends_on?.['demo-migrate']).toEqual({
      condition: 'service_completed_successfully',
    });
    // Both workers can run at once: different host ports.
    expect(services['demo-worker']?.ports).not.toEqual(services.worker?.ports);
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
    // The same environment and Node flags as `npm start` (package.json): both run the same worker.
    const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
    for (const assignment of start.split(' ').filter((word) => /^[A-Z_]+=/.test(word))) {
      // A line of an ENV instruction: `ENV NAME=value`, or one of its continuation lines.
      expect(runtime).toMatch(new RegExp(`^(ENV )?\\s*${assignment}( \\\\)?$`, 'm'));
    }
    const flags = start.split(' ').filter((word) => word.startsWith('--'));
    const entrypoint = ['node', ...flags, 'dist/main.js'].map((word) => `"${word}"`).join(', ');
    expect(runtime).toContain(`ENTRYPOINT [${entrypoint}]`);
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
