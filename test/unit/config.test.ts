import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const valid = {
  TIMETAP_API_KEY: 'api-key-1234',
  TIMETAP_PRIVATE_KEY: 'private-key-5678',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/timetap',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

function problems(env: NodeJS.ProcessEnv, needs: Parameters<typeof loadConfig>[1]): string {
  try {
    loadConfig(env, needs);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid, ['timetap', 'database', 'redis']);
    expect(config.timetap.baseUrl).toBe('https://api.timetap.com/live');
    expect(config.sync.schedule).toBe('0 * * * *');
    expect(config.sync.allowMassDelete).toBe(false);
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000, adminToken: undefined });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads booleans as words: "false" is false', () => {
    expect(loadConfig({ ...valid, SYNC_ALLOW_MASS_DELETE: 'false' }, []).sync.allowMassDelete).toBe(false);
    expect(loadConfig({ ...valid, SYNC_ALLOW_MASS_DELETE: 'true' }, []).sync.allowMassDelete).toBe(true);
  });

  it('requires only what the command needs', () => {
    expect(() => loadConfig({ DATABASE_URL: valid.DATABASE_URL }, ['database'])).not.toThrow();
    expect(problems({}, ['redis'])).toContain('REDIS_URL is required');
  });

  it('names every bad variable at once and never echoes a value', () => {
    const message = problems(
      { TIMETAP_PRIVATE_KEY: 'sekret-private', TIMETAP_MAX_CONCURRENCY: '0', ADMIN_TOKEN: 'short-secret' },
      ['timetap', 'database'],
    );
    expect(message).toContain('(4 variables)');
    expect(message).toContain('TIMETAP_API_KEY is required');
    expect(message).toContain('DATABASE_URL is required');
    expect(message).toContain('TIMETAP_MAX_CONCURRENCY must be');
    expect(message).toContain('ADMIN_TOKEN must be at least 16 characters');
    expect(message).not.toContain('sekret-private');
    expect(message).not.toContain('short-secret');
  });

  it('strips a trailing slash from the base URL', () => {
    expect(loadConfig({ ...valid, TIMETAP_BASE_URL: 'http://127.0.0.1:4010/' }, []).timetap.baseUrl).toBe(
      'http://127.0.0.1:4010',
    );
  });

  it('takes an empty variable (as in a copied .env.example) for an unset one', () => {
    const copied = {
      TIMETAP_API_KEY: valid.TIMETAP_API_KEY,
      TIMETAP_PRIVATE_KEY: valid.TIMETAP_PRIVATE_KEY,
      TIMETAP_BASE_URL: '',
      DATABASE_URL: '',
      REDIS_URL: '',
      TIMETAP_PAGE_SIZE: '',
      WORKER_LOCK_DURATION_MS: '',
    };
    // `check` needs only the TimeTap section: the empty database and Redis URLs do not stop it.
    const config = loadConfig(copied, ['timetap']);
    expect(config.timetap.baseUrl).toBe('https://api.timetap.com/live');
    expect(config.timetap.pageSize).toBe(25);
    expect(config.worker.lockDurationMs).toBeUndefined();
    expect(problems(copied, ['timetap', 'database'])).toContain('DATABASE_URL is required');
  });
});
