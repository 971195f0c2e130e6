import { describe, expect, it } from 'vitest';
import { loadConfig, scheduleProblem } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { soleAccount } from '../helpers/account.js';

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
    expect(soleAccount(config).timetap.baseUrl).toBe('https://api.timetap.com/live');
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
    expect(
      soleAccount(loadConfig({ ...valid, TIMETAP_BASE_URL: 'http://127.0.0.1:4010/' }, [])).timetap.baseUrl,
    ).toBe('http://127.0.0.1:4010');
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
    expect(soleAccount(config).timetap.baseUrl).toBe('https://api.timetap.com/live');
    expect(soleAccount(config).timetap.pageSize).toBe(25);
    expect(config.worker.lockDurationMs).toBeUndefined();
    expect(problems(copied, ['timetap', 'database'])).toContain('DATABASE_URL is required');
  });
});

describe('loadConfig: every variable within the range its consumer accepts', () => {
  const MS_VARIABLES = [
    'TIMETAP_TIMEOUT_MS',
    'TIMETAP_RETRY_BASE_MS',
    'TIMETAP_RETRY_MAX_TIME_MS',
    'TIMETAP_RETRY_AFTER_CAP_MS',
    'TIMETAP_SESSION_IDLE_MS',
    'DATABASE_CONNECT_TIMEOUT_MS',
    'JOB_BACKOFF_MS',
    'WORKER_LOCK_DURATION_MS',
    'WORKER_STALLED_INTERVAL_MS',
    'SYNC_STALE_RUN_MS',
    'SYNC_HEARTBEAT_MS',
  ];

  it('bounds milliseconds by what Node timers hold (a longer one is a RangeError or fires at once)', () => {
    expect(problems({ ...valid, TIMETAP_TIMEOUT_MS: '99999999999' }, [])).toContain(
      'TIMETAP_TIMEOUT_MS must be at most 2147483647 (ms)',
    );
    const tooLong = Object.fromEntries(MS_VARIABLES.map((name) => [name, '2147483648']));
    const message = problems({ ...valid, ...tooLong }, []);
    expect(message).toContain(`(${MS_VARIABLES.length} variables)`);
    for (const name of MS_VARIABLES) expect(message).toContain(`${name} must be at most 2147483647 (ms)`);
    const longest = Object.fromEntries(MS_VARIABLES.map((name) => [name, '2147483647']));
    expect(soleAccount(loadConfig({ ...valid, ...longest }, [])).timetap.timeoutMs).toBe(2_147_483_647);
  });

  it('keeps a smaller maximum where a longer value makes no sense (and its timer adds to it)', () => {
    const message = problems(
      { ...valid, DATABASE_STATEMENT_TIMEOUT_MS: '86400001', SHUTDOWN_GRACE_MS: '3600001' },
      [],
    );
    expect(message).toContain('DATABASE_STATEMENT_TIMEOUT_MS must be at most 86400000 (ms)');
    expect(message).toContain('SHUTDOWN_GRACE_MS must be at most 3600000 (ms)');
    const config = loadConfig(
      { ...valid, DATABASE_STATEMENT_TIMEOUT_MS: '86400000', SHUTDOWN_GRACE_MS: '3600000' },
      [],
    );
    expect(config.database.statementTimeoutMs).toBe(86_400_000);
    expect(config.worker.shutdownGraceMs).toBe(3_600_000);
  });

  it('accepts plain decimal numbers only (no hex, exponent, sign or blanks)', () => {
    for (const text of ['0x10', '1e1', ' 5', '5 ', '+5', 'Infinity', '5,5', '0b1', '1_000']) {
      expect(problems({ ...valid, TIMETAP_MAX_RPS: text }, []), text).toContain(
        'TIMETAP_MAX_RPS must be a number in decimal notation, such as 2.5',
      );
      expect(problems({ ...valid, TIMETAP_PAGE_SIZE: text }, []), text).toContain(
        'TIMETAP_PAGE_SIZE must be a whole number, in decimal digits',
      );
    }
    expect(soleAccount(loadConfig({ ...valid, TIMETAP_MAX_RPS: '2.5' }, [])).timetap.maxRps).toBe(2.5);
    expect(loadConfig({ ...valid, SYNC_DELETE_GUARD_RATIO: '.25' }, []).sync.deleteGuardRatio).toBe(0.25);
    expect(soleAccount(loadConfig({ ...valid, TIMETAP_PAGE_SIZE: '050' }, [])).timetap.pageSize).toBe(50);
  });

  it('says that a positive-only variable must be greater than 0, not "at least 0"', () => {
    const message = problems(
      {
        ...valid,
        TIMETAP_MAX_RPS: '0',
        SYNC_DELETE_GUARD_RATIO: '0',
        TIMETAP_MAX_CONCURRENCY: '0',
        TIMETAP_TIMEOUT_MS: '0',
        WORKER_CONCURRENCY: '-3',
      },
      [],
    );
    expect(message).toContain('TIMETAP_MAX_RPS must be greater than 0');
    expect(message).toContain('SYNC_DELETE_GUARD_RATIO must be greater than 0');
    expect(message).toContain('TIMETAP_MAX_CONCURRENCY must be a positive whole number');
    expect(message).toContain('TIMETAP_TIMEOUT_MS must be a positive whole number (ms)');
    expect(message).toContain('WORKER_CONCURRENCY must be a positive whole number');
    expect(message).not.toContain('at least 0');
    expect(problems({ ...valid, TIMETAP_RETRIES: '-1' }, [])).toContain('TIMETAP_RETRIES must be at least 0');
  });

  it('says "whole number" for a fraction where a whole number is expected', () => {
    const message = problems({ ...valid, WORKER_CONCURRENCY: '1.5', HTTP_PORT: '80.0' }, []);
    expect(message).toContain('WORKER_CONCURRENCY must be a whole number');
    expect(message).toContain('HTTP_PORT must be a whole number');
    expect(message).not.toContain(' int');
  });

  it('bounds counts and the port', () => {
    const message = problems(
      {
        ...valid,
        TIMETAP_MAX_RPS: '1000.5',
        TIMETAP_MAX_CONCURRENCY: '1001',
        JOB_ATTEMPTS: '101',
        HTTP_PORT: '65536',
        SYNC_DELETE_GUARD_RATIO: '1.01',
      },
      [],
    );
    expect(message).toContain('TIMETAP_MAX_RPS must be at most 1000');
    expect(message).toContain('TIMETAP_MAX_CONCURRENCY must be at most 1000');
    expect(message).toContain('JOB_ATTEMPTS must be at most 100');
    expect(message).toContain('HTTP_PORT must be at most 65535');
    expect(message).toContain('SYNC_DELETE_GUARD_RATIO must be at most 1');
    expect(loadConfig({ ...valid, HTTP_PORT: '0' }, []).http.port).toBe(0);
  });

  it('takes HTTP_HOST as an IP address or a host name only', () => {
    for (const host of [
      '0.0.0.0',
      '127.0.0.1',
      '::',
      '::1',
      'fe80::1',
      'localhost',
      'worker-1.internal',
      'a.example.com.',
    ]) {
      expect(loadConfig({ ...valid, HTTP_HOST: host }, []).http.host, host).toBe(host);
    }
    for (const host of [
      'not a host!',
      '[::1]',
      '999.1.1.1',
      '-bad.example',
      'a..b',
      'under_score',
      'x'.repeat(64),
    ]) {
      expect(problems({ ...valid, HTTP_HOST: host }, []), host).toContain(
        'HTTP_HOST must be an IP address (IPv6 without brackets) or a host name',
      );
    }
  });

  it('refuses a Redis database index that does not exist, saying that it is the index', () => {
    for (const url of [
      'redis://127.0.0.1:6379/99',
      'redis://127.0.0.1:6379/16',
      'redis://h:6379/-1',
      'redis://h/db1',
      'redis://h?db=16',
    ]) {
      expect(problems({ ...valid, REDIS_URL: url }, ['redis']), url).toContain(
        'REDIS_URL has a database index (the path after the host, as in redis://host:6379/0) that is not a whole number from 0 to 15',
      );
    }
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://127.0.0.1:6379/',
      'redis://h:6379/0',
      'rediss://:pw@h:6380/15',
      'redis://h?db=3',
    ]) {
      expect(loadConfig({ ...valid, REDIS_URL: url }, ['redis']).redis.url, url).toBe(url);
    }
    expect(problems({ ...valid, REDIS_URL: 'http://127.0.0.1:6379' }, [])).toContain(
      'REDIS_URL must be a redis:// or rediss:// URL',
    );
    const secret = problems({ ...valid, REDIS_URL: 'redis://:hunter2-redis-secret@h:6379/42' }, []);
    expect(secret).not.toContain('hunter2-redis-secret');
    expect(secret).not.toContain('42');
  });

  it('asks every documented appointment status by default, and takes a list of status names', () => {
    expect(loadConfig(valid, []).sync.appointments.statuses).toEqual([
      'PENDING',
      'OPEN',
      'COMPLETED',
      'CANCELLED',
      'NO_SHOW',
    ]);
    expect(
      loadConfig({ ...valid, APPOINTMENTS_STATUSES: 'OPEN,WAITLIST' }, []).sync.appointments.statuses,
    ).toEqual(['OPEN', 'WAITLIST']);
    for (const bad of ['open', 'OPEN, PENDING', 'OPEN,,PENDING', 'OPEN,OPEN', ',']) {
      expect(problems({ ...valid, APPOINTMENTS_STATUSES: bad }, [])).toContain('APPOINTMENTS_STATUSES must');
    }
  });

  it('refuses a queue name with a colon, which BullMQ refuses', () => {
    expect(problems({ ...valid, QUEUE_NAME: 'sync:1' }, [])).toContain('QUEUE_NAME must not contain ":"');
  });

  it('takes a WEBHOOK_SECRET a URL carries as it is, long enough not to be guessed; never echoes it', () => {
    const secret = 'a1B2-c3D4.e5F6_g7H8~i9J0k';
    const config = loadConfig({ ...valid, WEBHOOK_SECRET: secret }, []);
    expect(soleAccount(config).webhookSecret).toBe(secret);
    expect(config.http).toMatchObject({ webhookRateLimit: 600 });
    expect(soleAccount(loadConfig({ ...valid, WEBHOOK_SECRET: '' }, [])).webhookSecret).toBeUndefined();
    for (const bad of [
      'short-but-fine-chars',
      'has/a/slash/in/it/0123456789',
      'has space in it 0123456789ab',
    ]) {
      const message = problems({ ...valid, WEBHOOK_SECRET: bad }, []);
      expect(message).toContain('WEBHOOK_SECRET must be 24 to 200 characters');
      expect(message).not.toContain(bad);
    }
  });
});

describe('loadConfig: SYNC_SCHEDULE', () => {
  it('checks the pattern with the other variables when the command schedules', () => {
    const message = problems({ ...valid, SYNC_SCHEDULE: 'bogus', HTTP_PORT: 'x' }, ['schedule']);
    expect(message).toContain('(2 variables)');
    expect(message).toContain('SYNC_SCHEDULE must be a cron pattern such as "0 * * * *"');
    expect(message).toContain('HTTP_PORT must be');
    expect(message).not.toContain('bog');
  });

  it('lets a command that only reads the pattern (report) start with a bad one', () => {
    expect(loadConfig({ ...valid, SYNC_SCHEDULE: 'bogus' }, ['database']).sync.schedule).toBe('bogus');
  });

  it('accepts what the job scheduler accepts, and refuses a pattern that would never fire', () => {
    for (const pattern of [
      '0 * * * *',
      '@hourly',
      '30 */2 * * * *',
      '0 9 * * 1-5',
      '0 0 29 2 *',
      ' 0 3 * * * ',
    ]) {
      expect(loadConfig({ ...valid, SYNC_SCHEDULE: pattern }, ['schedule']).sync.schedule, pattern).toBe(
        pattern,
      );
    }
    expect(loadConfig(valid, ['schedule']).sync.schedule).toBe('0 * * * *');
    for (const pattern of ['61 * * * *', '1 2', '0 * * * * * *', '@sometimes', 'every hour']) {
      expect(problems({ ...valid, SYNC_SCHEDULE: pattern }, ['schedule']), pattern).toContain(
        'SYNC_SCHEDULE must be a cron pattern',
      );
    }
    expect(problems({ ...valid, SYNC_SCHEDULE: '0 0 30 2 *' }, ['schedule'])).toContain(
      'SYNC_SCHEDULE never fires: its day of month does not exist in its months',
    );
  });

  it('refuses a pattern that fires more often than once a minute', () => {
    for (const pattern of ['*/10 * * * * *', '0,30 * * * * *', '* * * * * *', '@secondly']) {
      expect(problems({ ...valid, SYNC_SCHEDULE: pattern }, ['schedule']), pattern).toContain(
        'SYNC_SCHEDULE fires more often than once a minute',
      );
    }
    for (const pattern of ['* * * * *', '15 * * * * *', '@minutely']) {
      expect(loadConfig({ ...valid, SYNC_SCHEDULE: pattern }, ['schedule']).sync.schedule, pattern).toBe(
        pattern,
      );
    }
    // Tests and demos of the scheduler may ask for it, by name.
    const fast = { ...valid, SYNC_SCHEDULE: '*/2 * * * * *', SYNC_SCHEDULE_ALLOW_SECONDS: 'true' };
    expect(loadConfig(fast, ['schedule']).sync.schedule).toBe('*/2 * * * * *');
    expect(problems({ ...fast, SYNC_SCHEDULE_ALLOW_SECONDS: 'maybe' }, ['schedule'])).toContain(
      'SYNC_SCHEDULE_ALLOW_SECONDS must be one of',
    );
  });

  it('describes a bad pattern for readers that do not stop on it', () => {
    expect(scheduleProblem('0 * * * *')).toBeUndefined();
    expect(scheduleProblem('bogus')).toMatch(/^must be a cron pattern/);
  });
});

describe('loadConfig: TIMETAP_BASE_URL', () => {
  it('refuses a query string or a fragment, naming neither', () => {
    for (const url of [
      'https://api.timetap.com/live?apiKey=leaked-query-value',
      'https://api.timetap.com/live#leaked-fragment',
      'https://api.timetap.com/live?',
    ]) {
      const message = problems({ ...valid, TIMETAP_BASE_URL: url }, ['timetap']);
      expect(message, url).toContain('TIMETAP_BASE_URL must not contain a query string or a fragment');
      expect(message).not.toContain('leaked');
    }
  });

  it('refuses plain http to another machine unless TIMETAP_ALLOW_INSECURE=true', () => {
    for (const url of ['http://api.timetap.com/live', 'http://10.0.0.7:4010', 'http://simulator:4010']) {
      expect(problems({ ...valid, TIMETAP_BASE_URL: url }, ['timetap']), url).toContain(
        'TIMETAP_BASE_URL is plain http:// to another machine',
      );
      const allowed = loadConfig({ ...valid, TIMETAP_BASE_URL: url, TIMETAP_ALLOW_INSECURE: 'true' }, []);
      expect(soleAccount(allowed).timetap.baseUrl).toBe(url);
    }
    for (const url of [
      'http://127.0.0.1:4010',
      'http://localhost:4010/live',
      'http://[::1]:4010',
      'https://x.io',
    ]) {
      expect(soleAccount(loadConfig({ ...valid, TIMETAP_BASE_URL: url }, [])).timetap.baseUrl, url).toBe(url);
    }
    expect(problems({ ...valid, TIMETAP_ALLOW_INSECURE: 'yes please' }, [])).toContain(
      'TIMETAP_ALLOW_INSECURE must be one of',
    );
  });
});

describe('loadConfig: bounds on what TimeTap sends', () => {
  it('TIMETAP_MAX_PAGES: unset by default (a number of records), else 1 to 1000000', () => {
    expect(soleAccount(loadConfig(valid, [])).timetap.maxPages).toBeUndefined();
    expect(soleAccount(loadConfig({ ...valid, TIMETAP_MAX_PAGES: '500' }, [])).timetap.maxPages).toBe(500);
    for (const bad of ['0', '1000001', '0x10', ' 7']) {
      expect(problems({ ...valid, TIMETAP_MAX_PAGES: bad }, []), bad).toContain('TIMETAP_MAX_PAGES must');
    }
  });

  it('TIMETAP_MAX_BODY_BYTES: unset by default (the client default), else 1024 to 256 MiB', () => {
    expect(soleAccount(loadConfig(valid, [])).timetap.maxBodyBytes).toBeUndefined();
    expect(
      soleAccount(loadConfig({ ...valid, TIMETAP_MAX_BODY_BYTES: '1048576' }, [])).timetap.maxBodyBytes,
    ).toBe(1048576);
    for (const bad of ['1023', '268435457', '1e6', '64MB']) {
      expect(problems({ ...valid, TIMETAP_MAX_BODY_BYTES: bad }, []), bad).toContain(
        'TIMETAP_MAX_BODY_BYTES must',
      );
    }
  });
});

describe('loadConfig: TRUST_PROXY', () => {
  it('trusts no proxy by default; a hop count from 0 to 10', () => {
    expect(loadConfig(valid, []).http.trustProxy).toBe(0);
    expect(loadConfig({ ...valid, TRUST_PROXY: '1' }, []).http.trustProxy).toBe(1);
    for (const bad of ['true', '-1', '11', '1.5']) {
      expect(problems({ ...valid, TRUST_PROXY: bad }, []), bad).toContain('TRUST_PROXY must');
    }
  });
});

describe('loadConfig: what stays as it was', () => {
  it('names every bad variable at once and echoes none of the values', () => {
    const env = {
      ...valid,
      TIMETAP_BASE_URL: 'https://user:pa55word-in-url@api.timetap.com/live',
      TIMETAP_MAX_RPS: '0x10',
      TIMETAP_TIMEOUT_MS: '99999999999',
      HTTP_HOST: 'not a host!',
      REDIS_URL: 'redis://:redis-secret-xyz@h:6379/99',
      SYNC_SCHEDULE: 'bogus',
      SYNC_ALLOW_MASS_DELETE: 'maybe',
      WORKER_CONCURRENCY: '1.5',
    };
    const message = problems(env, ['timetap', 'database', 'redis', 'schedule']);
    expect(message).toContain('(8 variables)');
    expect(message).toContain('TIMETAP_BASE_URL must not contain a user name or password');
    expect(message).toContain('SYNC_ALLOW_MASS_DELETE must be one of true');
    for (const value of [
      'pa55word-in-url',
      '0x10',
      '99999999999',
      'not a host',
      'redis-secret-xyz',
      'bog',
      'maybe',
      '1.5',
    ]) {
      expect(message).not.toContain(value);
    }
  });
});

describe('.env.example', () => {
  it('is itself a valid configuration, schedule included', async () => {
    const { readFile } = await import('node:fs/promises');
    const { parse } = await import('dotenv');
    const example = parse(await readFile(new URL('../../.env.example', import.meta.url), 'utf8'));
    const config = loadConfig(example, ['database', 'redis', 'schedule']);
    expect(config.sync.schedule).toBe('0 * * * *');
    expect(config.http).toMatchObject({ host: '127.0.0.1', port: 3000 });
  });

  it('validates LOG_FORMAT with the other variables', () => {
    expect(loadConfig({ ...valid, LOG_FORMAT: 'pretty' }, []).logFormat).toBe('pretty');
    expect(loadConfig(valid, []).logFormat).toBe('auto');
    expect(problems({ ...valid, LOG_FORMAT: 'fancy', TIMETAP_MAX_RPS: 'x' }, [])).toMatch(
      /\(2 variables\)[\s\S]*LOG_FORMAT must be one of auto, json, pretty/,
    );
  });
});

describe('loadConfig: the learned request rate', () => {
  it('learns by default, from TIMETAP_MAX_RPS, between 0.5/s and four times it', () => {
    const config = loadConfig({ ...valid, TIMETAP_MAX_RPS: '5' }, []);
    expect(soleAccount(config).timetap.maxRps).toBe(5);
    expect(soleAccount(config).timetap.adaptiveRate).toEqual({ floorRps: 0.5, ceilingRps: 20 });
    // A start below 0.5/s is its own floor; the ceiling stops at the variable's maximum.
    expect(
      soleAccount(loadConfig({ ...valid, TIMETAP_MAX_RPS: '0.2' }, [])).timetap.adaptiveRate?.floorRps,
    ).toBe(0.2);
    expect(
      soleAccount(loadConfig({ ...valid, TIMETAP_MAX_RPS: '400' }, [])).timetap.adaptiveRate?.ceilingRps,
    ).toBe(1000);
  });

  it('TIMETAP_ADAPTIVE_RATE=false keeps the fixed budget', () => {
    const config = loadConfig({ ...valid, TIMETAP_ADAPTIVE_RATE: 'false' }, []);
    expect(soleAccount(config).timetap.adaptiveRate).toBeUndefined();
    expect(soleAccount(config).timetap.maxRps).toBe(5);
  });

  it('takes the bounds as given, and refuses bounds that do not hold the start rate', () => {
    const config = loadConfig(
      { ...valid, TIMETAP_MAX_RPS: '4', TIMETAP_MIN_RPS: '1', TIMETAP_MAX_RPS_CEILING: '12.5' },
      [],
    );
    expect(soleAccount(config).timetap.adaptiveRate).toEqual({ floorRps: 1, ceilingRps: 12.5 });
    const message = problems(
      { ...valid, TIMETAP_MAX_RPS: '4', TIMETAP_MIN_RPS: '5', TIMETAP_MAX_RPS_CEILING: '3' },
      [],
    );
    expect(message).toContain('(2 variables)');
    expect(message).toContain('TIMETAP_MAX_RPS_CEILING must be at least TIMETAP_MAX_RPS');
    expect(message).toContain('TIMETAP_MIN_RPS must be at most TIMETAP_MAX_RPS');
    expect(problems({ ...valid, TIMETAP_MAX_RPS_CEILING: '0' }, [])).toContain(
      'TIMETAP_MAX_RPS_CEILING must be greater than 0',
    );
    expect(problems({ ...valid, TIMETAP_ADAPTIVE_RATE: 'maybe' }, [])).toContain('TIMETAP_ADAPTIVE_RATE');
  });
});
