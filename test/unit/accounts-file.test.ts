/**
 * TIMETAP_ACCOUNTS_FILE: the parser on its own (every field, every mistake, every problem at
 * once) and through loadConfig (one AccountContext per account, the TIMETAP_* values for what an
 * account leaves unset, the conflicts with the single-account variables). No message may hold a
 * value: the file is mostly secrets.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AccountsFileRules, parseAccountsFile, readAccountsFile } from '../../src/accounts-file.js';
import { loadConfig } from '../../src/config.js';
import { AUTH_FAILURE_MESSAGE, authFailureMessage, ConfigError } from '../../src/errors.js';
import { createRuntime } from '../../src/runtime.js';

const RULES: AccountsFileRules = {
  needKeys: true,
  checkSchedules: true,
  allowSeconds: false,
  allowInsecure: false,
};
// Every secret of these tests, so that each message can be searched for all of them.
const SECRETS = {
  northApi: 'north-api-key-7c1e',
  northPrivate: 'north-private-key-93ad',
  southApi: 'south-api-key-51f0',
  southPrivate: 'south-private-key-e2b8',
  northHook: 'north-webhook-secret-0123456789abcdef',
  southHook: 'south-webhook-secret-fedcba9876543210',
};
const ENV = { SOUTH_PRIVATE_KEY: SECRETS.southPrivate, SOUTH_HOOK: SECRETS.southHook };

const north = {
  name: 'north',
  apiKey: SECRETS.northApi,
  privateKey: SECRETS.northPrivate,
  webhookSecret: SECRETS.northHook,
};
const south = {
  name: 'south',
  apiKey: SECRETS.southApi,
  privateKeyEnv: 'SOUTH_PRIVATE_KEY',
  baseUrl: 'https://api.timetap.com/test/',
  maxRps: 2,
  schedule: '30 * * * *',
  webhookSecretEnv: 'SOUTH_HOOK',
};

const fileOf = (accounts: unknown[]) => JSON.stringify({ accounts });

/** The file's problems; the test fails when it has none. */
function problemsOf(text: string, env: Record<string, string> = ENV, rules = RULES): string[] {
  const result = parseAccountsFile(text, env, rules);
  if (result.ok) throw new Error('expected the file to be refused');
  for (const line of result.problems) expectNoSecret(line);
  return result.problems;
}

function expectNoSecret(text: string): void {
  for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
}

describe('parseAccountsFile', () => {
  it('reads a good file: inline secrets, secrets from the environment, the optional fields', () => {
    const result = parseAccountsFile(fileOf([north, south]), ENV, RULES);
    expect(result).toEqual({
      ok: true,
      accounts: [
        {
          name: 'north',
          apiKey: SECRETS.northApi,
          privateKey: SECRETS.northPrivate,
          webhookSecret: SECRETS.northHook,
        },
        {
          name: 'south',
          apiKey: SECRETS.southApi,
          privateKey: SECRETS.southPrivate,
          baseUrl: 'https://api.timetap.com/test/',
          maxRps: 2,
          schedule: '30 * * * *',
          webhookSecret: SECRETS.southHook,
        },
      ],
    });
  });

  it('takes apiKeyEnv like the other secrets, and a byte order mark before the JSON', () => {
    const result = parseAccountsFile(
      `\uFEFF${fileOf([{ name: 'a', apiKeyEnv: 'A_KEY', privateKey: 'p' }])}`,
      { A_KEY: 'from-the-env' },
      RULES,
    );
    expect(result.ok && result.accounts[0]?.apiKey).toBe('from-the-env');
  });

  it('refuses each bad field, naming the account by index and name, and the field', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...north, name: undefined }, 'accounts[0]: name is required'],
      [{ ...north, name: 7 }, 'accounts[0]: name must be a string'],
      [{ ...north, apiKey: undefined }, 'accounts[0] "north": apiKey is required, or apiKeyEnv'],
      [{ ...north, apiKey: '' }, 'accounts[0] "north": apiKey must not be empty'],
      [{ ...north, apiKey: 12345 }, 'accounts[0] "north": apiKey must be a string'],
      [{ ...north, privateKey: undefined }, 'accounts[0] "north": privateKey is required, or privateKeyEnv'],
      [{ ...north, privateKeyEnv: 'X' }, 'accounts[0] "north": privateKey and privateKeyEnv are both given'],
      [{ ...north, webhookSecretEnv: 'X' }, 'accounts[0] "north": webhookSecret and webhookSecretEnv'],
      [{ ...north, apiKey: undefined, apiKeyEnv: 'NOT-A NAME' }, 'apiKeyEnv must be the name of'],
      [{ ...north, baseUrl: 'ftp://example.com' }, 'accounts[0] "north": baseUrl must be a valid url'],
      [{ ...north, baseUrl: 'https://u:p@example.com' }, 'baseUrl must not contain a user name'],
      [{ ...north, baseUrl: 'https://example.com/?k=1' }, 'baseUrl must not contain a query string'],
      [{ ...north, baseUrl: 'http://timetap.example.com' }, 'baseUrl is plain http:// to another machine'],
      [{ ...north, maxRps: 0 }, 'accounts[0] "north": maxRps must be greater than 0'],
      [{ ...north, maxRps: 1001 }, 'accounts[0] "north": maxRps must be at most 1000'],
      [{ ...north, maxRps: '5' }, 'accounts[0] "north": maxRps must be a number'],
      [{ ...north, schedule: 'every hour' }, 'accounts[0] "north": schedule must be a cron pattern'],
      [{ ...north, schedule: '* * * * * *' }, 'schedule fires more often than once a minute'],
      [{ ...north, webhookSecret: 'short' }, 'accounts[0] "north": webhookSecret must be 24 to 200'],
      [{ ...north, privatekey: 'typo' }, 'accounts[0] "north": has a field "privatekey", which'],
    ];
    for (const [account, expected] of cases) {
      const problems = problemsOf(fileOf([account]));
      expect(problems, expected).toHaveLength(1);
      expect(problems[0], JSON.stringify(problems)).toContain(expected);
    }
  });

  it('refuses bad names without quoting them, and names used twice', () => {
    for (const name of ['North', 'north_1', '', 'x'.repeat(41), 'ünï', 'a b']) {
      const [problem] = problemsOf(fileOf([{ ...north, name }]));
      expect(problem).toBe('accounts[0]: name must be 1 to 40 characters from a-z 0-9 -');
    }
    const longest = { ...north, name: 'x'.repeat(40), webhookSecret: undefined };
    expect(problemsOf(fileOf([longest, north, south, { ...north }]))).toEqual([
      'accounts[3] "north": name is also the name of accounts[1] "north": names must be unique',
      expect.stringContaining('accounts[3] "north": webhookSecret gives the same secret as accounts[1]'),
    ]);
  });

  it('refuses two accounts with one webhook secret, which could not tell them apart', () => {
    const problems = problemsOf(fileOf([north, { ...south, webhookSecretEnv: 'SAME' }]), {
      ...ENV,
      SAME: SECRETS.northHook,
    });
    expect(problems).toEqual([
      'accounts[1] "south": webhookSecretEnv gives the same secret as accounts[0] "north": ' +
        'the webhook URL must name one account',
    ]);
  });

  it('reads secrets from the environment: a variable not set is a problem when the keys are needed', () => {
    const env = { SOUTH_PRIVATE_KEY: '' };
    expect(problemsOf(fileOf([south]), env)).toEqual([
      'accounts[0] "south": privateKeyEnv names an environment variable that is not set',
      'accounts[0] "south": webhookSecretEnv names an environment variable that is not set',
    ]);
    // `migrate` may run where the keys are not: the file's shape is still checked, not the keys.
    const result = parseAccountsFile(fileOf([south]), env, { ...RULES, needKeys: false });
    expect(result.ok && result.accounts[0]).toMatchObject({ name: 'south', privateKey: '' });
    expect(result.ok && result.accounts[0]?.webhookSecret).toBeUndefined();
  });

  it('checks a webhook secret from the environment as WEBHOOK_SECRET is checked, without quoting it', () => {
    const problems = problemsOf(fileOf([south]), { ...ENV, SOUTH_HOOK: 'north-api-key-7c1e' });
    expect(problems).toEqual([
      'accounts[0] "south": webhookSecretEnv names a variable whose value must be 24 to 200 ' +
        'characters from A-Z a-z 0-9 . _ ~ - (openssl rand -hex 16 prints one)',
    ]);
  });

  it('checks schedules only for a command that schedules, and allows seconds when told', () => {
    const file = fileOf([{ ...north, schedule: '*/5 * * * * *' }]);
    expect(problemsOf(file)).toHaveLength(1);
    expect(parseAccountsFile(file, ENV, { ...RULES, checkSchedules: false }).ok).toBe(true);
    expect(parseAccountsFile(file, ENV, { ...RULES, allowSeconds: true }).ok).toBe(true);
  });

  it('holds maxRps within TIMETAP_MIN_RPS and TIMETAP_MAX_RPS_CEILING when those are set', () => {
    const rules = { ...RULES, minRps: 1, ceilingRps: 10 };
    expect(problemsOf(fileOf([{ ...north, maxRps: 0.5 }]), ENV, rules)).toEqual([
      expect.stringContaining('accounts[0] "north": maxRps must be at least TIMETAP_MIN_RPS'),
    ]);
    expect(problemsOf(fileOf([{ ...north, maxRps: 11 }]), ENV, rules)).toEqual([
      expect.stringContaining('accounts[0] "north": maxRps must be at most TIMETAP_MAX_RPS_CEILING'),
    ]);
    expect(parseAccountsFile(fileOf([{ ...north, maxRps: 10 }]), ENV, rules).ok).toBe(true);
  });

  it('reports every problem of every account at once', () => {
    const problems = problemsOf(
      fileOf([
        { ...north, apiKey: undefined, maxRps: -1 },
        'not an account',
        { ...south, name: 'South!', schedule: 'bogus' },
      ]),
    );
    expect(problems).toEqual([
      'accounts[0] "north": maxRps must be greater than 0',
      expect.stringContaining('accounts[0] "north": apiKey is required'),
      'accounts[1]: must be an object, such as {"name": ..., "apiKey": ...}',
      'accounts[2]: name must be 1 to 40 characters from a-z 0-9 -',
    ]);
  });

  it('refuses a file of the wrong shape, and bad JSON without quoting the text', () => {
    expect(problemsOf('[]')).toEqual(['must hold an object with a list of accounts: {"accounts": [...]}']);
    expect(problemsOf('{"accounts": {}}')).toHaveLength(1);
    expect(problemsOf('{"accounts": []}')).toEqual(['lists no account']);
    expect(problemsOf(JSON.stringify({ accounts: [north], extra: 1 }))).toEqual([
      'has a field besides "accounts", which this file does not know',
    ]);
    const broken = `{"accounts": [\n  {"name": "north", "apiKey": "${SECRETS.northApi}" "privateKey": "x"}\n]}`;
    const [problem] = problemsOf(broken);
    expect(problem).toMatch(/^is not valid JSON( \(line 2, column \d+\))?$/);
  });
});

describe('readAccountsFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says why a file cannot be read, never what it holds', () => {
    expect(readAccountsFile(join(dir, 'missing.json'), {}, RULES)).toEqual({
      ok: false,
      problems: ['names a file that cannot be read (no such file)'],
    });
    expect(readAccountsFile(dir, {}, RULES)).toEqual({
      ok: false,
      problems: ['names something that is not a file'],
    });
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(1024 * 1024 + 1));
    expect(readAccountsFile(big, {}, RULES)).toEqual({
      ok: false,
      problems: ['names a file larger than 1 MiB'],
    });
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked.json');
      writeFileSync(locked, fileOf([north]));
      chmodSync(locked, 0o000);
      expect(readAccountsFile(locked, {}, RULES)).toEqual({
        ok: false,
        problems: ['names a file that cannot be read (permission denied)'],
      });
    }
  });
});

describe('loadConfig with TIMETAP_ACCOUNTS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'accounts-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const write = (text: string) => {
    const path = join(dir, `accounts-${files++}.json`);
    writeFileSync(path, text);
    return path;
  };
  const base = {
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/timetap',
    REDIS_URL: 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: 'p',
    TIMETAP_BASE_URL: 'https://api.timetap.com/live',
    TIMETAP_MAX_RPS: '4',
    SYNC_SCHEDULE: '0 * * * *',
    ...ENV,
  };

  function problems(env: NodeJS.ProcessEnv, needs: Parameters<typeof loadConfig>[1]): string {
    try {
      loadConfig(env, needs);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expectNoSecret(message);
      return message;
    }
    throw new Error('expected a ConfigError');
  }

  it('makes one account per entry: its own keys, the TIMETAP_* values for what it leaves unset', () => {
    const env = { ...base, TIMETAP_ACCOUNTS_FILE: write(fileOf([north, south])) };
    const config = loadConfig(env, ['timetap', 'database', 'redis', 'schedule']);
    const [first, second] = config.accounts;
    expect(config.accounts).toHaveLength(2);
    expect(first).toMatchObject({
      name: 'north',
      keyPrefix: 'p:timetap:north',
      schedule: '0 * * * *',
      webhookSecret: SECRETS.northHook,
      timetap: {
        apiKey: SECRETS.northApi,
        privateKey: SECRETS.northPrivate,
        baseUrl: 'https://api.timetap.com/live',
        maxRps: 4,
        adaptiveRate: { floorRps: 0.5, ceilingRps: 16 },
        timeoutMs: 30_000,
        accountInFile: 'north',
      },
    });
    expect(second).toMatchObject({
      name: 'south',
      keyPrefix: 'p:timetap:south',
      schedule: '30 * * * *',
      webhookSecret: SECRETS.southHook,
      timetap: {
        apiKey: SECRETS.southApi,
        privateKey: SECRETS.southPrivate,
        baseUrl: 'https://api.timetap.com/test',
        maxRps: 2,
        adaptiveRate: { floorRps: 0.5, ceilingRps: 8 },
        timeoutMs: 30_000,
        accountInFile: 'south',
      },
    });
    // A refused key pair names the account and where its keys are, not the TIMETAP_* variables.
    const refused = authFailureMessage(second?.timetap.accountInFile);
    expect(refused).toContain('rejected the API key/private key of account "south"');
    expect(refused).toContain('TIMETAP_ACCOUNTS_FILE');
    expect(refused).not.toContain('TIMETAP_API_KEY');
    // The shared settings stay shared.
    expect(config.sync.schedule).toBe('0 * * * *');
  });

  it('an account named default keeps the Redis keys of the single-account worker', () => {
    const env = { ...base, TIMETAP_ACCOUNTS_FILE: write(fileOf([{ ...north, name: 'default' }, south])) };
    expect(loadConfig(env, ['timetap']).accounts.map((a) => a.keyPrefix)).toEqual([
      'p:timetap',
      'p:timetap:south',
    ]);
  });

  it('without the file: one account `default` of the TIMETAP_* variables, as before', () => {
    const config = loadConfig(
      {
        ...base,
        TIMETAP_API_KEY: 'k',
        TIMETAP_PRIVATE_KEY: 'p',
        WEBHOOK_SECRET: SECRETS.northHook,
        TIMETAP_ACCOUNTS_FILE: '',
      },
      ['timetap'],
    );
    expect(config.accounts).toEqual([
      expect.objectContaining({
        name: 'default',
        keyPrefix: 'p:timetap',
        schedule: '0 * * * *',
        webhookSecret: SECRETS.northHook,
      }),
    ]);
    expect(config.accounts[0]?.timetap.accountInFile).toBeUndefined();
    expect(authFailureMessage(config.accounts[0]?.timetap.accountInFile)).toBe(AUTH_FAILURE_MESSAGE);
  });

  it('refuses TIMETAP_API_KEY, TIMETAP_PRIVATE_KEY or WEBHOOK_SECRET beside the file, naming both', () => {
    const file = write(fileOf([north]));
    const message = problems(
      {
        ...base,
        TIMETAP_ACCOUNTS_FILE: file,
        TIMETAP_API_KEY: SECRETS.southApi,
        TIMETAP_PRIVATE_KEY: SECRETS.southPrivate,
        WEBHOOK_SECRET: SECRETS.southHook,
      },
      ['timetap'],
    );
    expect(message).toContain('(3 variables)');
    for (const name of ['TIMETAP_API_KEY', 'TIMETAP_PRIVATE_KEY', 'WEBHOOK_SECRET']) {
      expect(message).toContain(`  ${name} is set, and so is TIMETAP_ACCOUNTS_FILE`);
    }
    expect(problems({ ...base, TIMETAP_ACCOUNTS_FILE: file, TIMETAP_API_KEY: 'x' }, [])).toContain(
      'TIMETAP_API_KEY is set, and so is TIMETAP_ACCOUNTS_FILE',
    );
  });

  it('needs the file instead of the keys for TimeTap, and lists its problems with the others', () => {
    expect(() =>
      loadConfig({ ...base, TIMETAP_ACCOUNTS_FILE: write(fileOf([north])) }, ['timetap']),
    ).not.toThrow();
    const message = problems(
      {
        ...base,
        HTTP_PORT: 'x',
        TIMETAP_ACCOUNTS_FILE: write(
          fileOf([
            { ...north, apiKey: undefined },
            { ...south, maxRps: 0 },
          ]),
        ),
      },
      ['timetap'],
    );
    expect(message).toContain('Invalid configuration (2 variables):');
    expect(message).toContain('  HTTP_PORT must be');
    expect(message).toContain(
      '  TIMETAP_ACCOUNTS_FILE has 2 problems:\n' +
        '    accounts[0] "north": apiKey is required, or apiKeyEnv: the name of an environment ' +
        'variable that holds it\n' +
        '    accounts[1] "south": maxRps must be greater than 0\n',
    );
    expect(problems({ ...base, TIMETAP_ACCOUNTS_FILE: join(dir, 'nowhere.json') }, [])).toContain(
      '  TIMETAP_ACCOUNTS_FILE names a file that cannot be read (no such file)\n',
    );
  });

  it('checks the schedules only when the command schedules, as SYNC_SCHEDULE is', () => {
    const file = write(fileOf([{ ...north, schedule: 'bogus' }]));
    expect(() => loadConfig({ ...base, TIMETAP_ACCOUNTS_FILE: file }, ['timetap'])).not.toThrow();
    expect(problems({ ...base, TIMETAP_ACCOUNTS_FILE: file }, ['schedule'])).toContain(
      'accounts[0] "north": schedule must be a cron pattern',
    );
  });

  it('applies TIMETAP_ALLOW_INSECURE to every account’s base URL', () => {
    const file = write(fileOf([{ ...north, baseUrl: 'http://simulator:4010' }]));
    expect(problems({ ...base, TIMETAP_ACCOUNTS_FILE: file }, [])).toContain(
      'accounts[0] "north": baseUrl is plain http:// to another machine',
    );
    const config = loadConfig({ ...base, TIMETAP_ACCOUNTS_FILE: file, TIMETAP_ALLOW_INSECURE: 'true' }, []);
    expect(config.accounts[0]?.timetap.baseUrl).toBe('http://simulator:4010');
  });

  it('the redactor knows every account’s keys and webhook secret', () => {
    const env = { ...base, TIMETAP_ACCOUNTS_FILE: write(fileOf([north, south])), LOG_LEVEL: 'silent' };
    const { redactor } = createRuntime(env, ['timetap']);
    const scrubbed = redactor.scrub(Object.values(SECRETS).join(' '));
    expectNoSecret(scrubbed);
  });
});
