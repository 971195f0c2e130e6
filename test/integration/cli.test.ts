/**
 * The command line as a user meets it: exit codes, the one-message configuration errors, `check`
 * and `sync` against the simulator, and no secret in anything printed.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { simulatorEnv } from '../helpers/sync.js';

let sim: Simulator;
let database: TestDatabase;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, locations: 4 });
  database = await createTestDatabase(inject('databaseUrl'));
});
afterAll(async () => {
  await sim?.close();
  await database?.close();
});

const secretsOf = () => [sim.credentials.apiKey, sim.credentials.privateKey];

describe('configuration errors', () => {
  it('names every bad variable in one message, exit 2, no stack, no value echoed', async () => {
    const result = await runCli(['sync'], {
      TIMETAP_API_KEY: 'key-that-is-set',
      TIMETAP_MAX_RPS: 'fast',
      DATABASE_URL: 'mysql://admin:hunter2-very-secret@db/x',
      SYNC_ALLOW_MASS_DELETE: 'maybe',
    });
    expect(result.code).toBe(2);
    for (const name of ['TIMETAP_PRIVATE_KEY', 'TIMETAP_MAX_RPS', 'DATABASE_URL', 'SYNC_ALLOW_MASS_DELETE']) {
      expect(result.stderr).toContain(name);
    }
    expect(result.stderr).not.toContain('TIMETAP_API_KEY ');
    expect(result.stderr).not.toContain('hunter2');
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it('answers bad usage with exit 2', async () => {
    expect((await runCli(['no-such-command'])).code).toBe(2);
    expect((await runCli(['sync', '--location', 'abc'])).code).toBe(2);
  });
});

describe('check', () => {
  it('logs in and counts the locations', async () => {
    const result = await runCli(['check'], simulatorEnv(sim));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`ok: 4 locations (base URL ${sim.url})`);
  });

  it('says clearly that the keys were refused, exit 1, without the keys', async () => {
    const env = simulatorEnv(sim, { TIMETAP_PRIVATE_KEY: 'wrong-private-key-0123456789' });
    const result = await runCli(['check'], env);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('TimeTap rejected the API key/private key');
    const everything = result.stdout + result.stderr;
    for (const secret of [...secretsOf(), 'wrong-private-key-0123456789'])
      expect(everything).not.toContain(secret);
  });
});

describe('sync', () => {
  it('prints a summary, exit 0, and exit 3 when the run is partial', async () => {
    const env = { ...simulatorEnv(sim, { TIMETAP_RETRY_BASE_MS: '10' }), DATABASE_URL: database.url };
    const ok = await runCli(['sync', '--json'], env);
    expect(ok.code).toBe(0);
    const summary = JSON.parse(ok.stdout) as { status: string; stats: { locations: { inserted: number } } };
    expect(summary.status).toBe('succeeded');
    expect(summary.stats.locations.inserted).toBe(4);

    const [failing] = [...sim.data.locations.keys()] as [number];
    const remove = sim.inject({
      path: '/staff',
      query: { locationId: String(failing) },
      fault: { type: 'status', status: 400 },
    });
    const partial = await runCli(['sync'], env);
    remove();
    expect(partial.code).toBe(3);
    expect(partial.stdout).toContain('full sync partial');
    expect(partial.stdout).toContain(`location ${failing}`);
    const everything = ok.stdout + ok.stderr + partial.stdout + partial.stderr;
    for (const secret of secretsOf()) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/st:api:api:[0-9a-f]{32}/);
  });
});

describe('sync --location', () => {
  it('for an id TimeTap does not know: a clear error, exit 1, and no run written', async () => {
    const env = { ...simulatorEnv(sim), DATABASE_URL: database.url };
    const before = await database.db.syncRun.count();
    const result = await runCli(['sync', '--location', '987654'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'TimeTap has no location 987654 (GET /locations/987654 answered 404); nothing was written',
    );
    expect(result.stdout).not.toContain('succeeded');
    expect(await database.db.syncRun.count()).toBe(before);
  });
});
