/**
 * TIMETAP_ACCOUNTS_FILE: the TimeTap accounts one mirror keeps, when there is more than the one
 * of the TIMETAP_* variables. A JSON file:
 *
 *   {"accounts": [{"name": "north", "apiKey": "...", "privateKeyEnv": "NORTH_PRIVATE_KEY",
 *                  "baseUrl"?, "maxRps"?, "schedule"?, "webhookSecret" or "webhookSecretEnv"?}]}
 *
 * Each secret is given in the file or named by `<field>Env`, an environment variable that holds
 * it, so that the file itself may hold none. Every problem is reported at once, each naming the
 * account (by index, and by name when the name is valid) and the field; no value is ever quoted,
 * nor the file's content, since the values are mostly secrets. What an account leaves unset is
 * the TIMETAP_* variables' (config.ts does that).
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import {
  describeIssue,
  insecureUrlProblem,
  scheduleProblem,
  timetapBaseUrl,
  WEBHOOK_SECRET_FORMAT,
  WEBHOOK_SECRET_RULE,
} from './config-checks.js';

/** What an account may be called: it ends up in every mirror row, Redis key and log line. */
export const ACCOUNT_NAME = /^[a-z0-9-]{1,40}$/;
/** A file of a few hundred accounts is a few tens of KiB; past this it is not an accounts file. */
const MAX_FILE_BYTES = 1024 * 1024;

/** One account as the file gives it, its secrets read from the environment where it names them. */
export interface AccountEntry {
  name: string;
  /** Empty when the command needs no keys and the variable holding it is not set. */
  apiKey: string;
  privateKey: string;
  baseUrl?: string;
  maxRps?: number;
  schedule?: string;
  webhookSecret?: string;
}

/** What the file is checked against: the parts of the environment that bound an account's fields. */
export interface AccountsFileRules {
  /** The command logs in to TimeTap: every key pair must be at hand (a variable named but unset is not). */
  needKeys: boolean;
  /** The command registers job schedulers: each schedule must be one the scheduler accepts. */
  checkSchedules: boolean;
  /** SYNC_SCHEDULE_ALLOW_SECONDS. */
  allowSeconds: boolean;
  /** TIMETAP_ALLOW_INSECURE. */
  allowInsecure: boolean;
  /** TIMETAP_MIN_RPS and TIMETAP_MAX_RPS_CEILING when set: bounds every account's maxRps must hold. */
  minRps?: number | undefined;
  ceilingRps?: number | undefined;
}

export type AccountsFileResult = { ok: true; accounts: AccountEntry[] } | { ok: false; problems: string[] };

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const envName = z.string().regex(ENV_NAME, 'must be the name of an environment variable (A-Z a-z 0-9 _)');
const inline = z.string().refine((value) => value.length > 0, 'must not be empty');

const accountSchema = z.strictObject({
  name: z.string().regex(ACCOUNT_NAME, 'must be 1 to 40 characters from a-z 0-9 -'),
  apiKey: inline.optional(),
  apiKeyEnv: envName.optional(),
  privateKey: inline.optional(),
  privateKeyEnv: envName.optional(),
  baseUrl: timetapBaseUrl.optional(),
  maxRps: z.number().gt(0).max(1000).optional(),
  schedule: z.string().optional(),
  webhookSecret: z.string().regex(WEBHOOK_SECRET_FORMAT, WEBHOOK_SECRET_RULE).optional(),
  webhookSecretEnv: envName.optional(),
});
type RawAccount = z.infer<typeof accountSchema>;

/** Reads and checks the file at `path`; an unreadable file says why, never what it holds. */
export function readAccountsFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  rules: AccountsFileRules,
): AccountsFileResult {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return failed('names something that is not a file');
    if (stat.size > MAX_FILE_BYTES) return failed('names a file larger than 1 MiB');
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return failed(`names a file that cannot be read (${readError(error)})`);
  }
  return parseAccountsFile(text, env, rules);
}

/** Checks the file's text: every problem at once, or the accounts. */
export function parseAccountsFile(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  rules: AccountsFileRules,
): AccountsFileResult {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    // JSON.parse's message quotes the text around the mistake: only where it is is kept.
    return failed(`is not valid JSON${whereInText(text, error)}`);
  }
  if (!isObject(document) || !Array.isArray(document.accounts))
    return failed('must hold an object with a list of accounts: {"accounts": [...]}');
  const problems: string[] = [];
  if (Object.keys(document).some((key) => key !== 'accounts'))
    problems.push('has a field besides "accounts", which this file does not know');
  if (document.accounts.length === 0) problems.push('lists no account');

  const accounts: AccountEntry[] = [];
  const named = new Map<string, string>();
  const webhookSecrets = new Map<string, string>();
  document.accounts.forEach((raw: unknown, index) => {
    const label = labelOf(raw, index);
    const problem = (field: string, why: string) => problems.push(`${label}: ${field} ${why}`);
    if (!isObject(raw)) {
      problems.push(`${label}: must be an object, such as {"name": ..., "apiKey": ...}`);
      return;
    }
    const parsed = accountSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.code === 'unrecognized_keys') {
          problems.push(`${label}: has ${describeUnknown(issue.keys)}, which this file does not know`);
          continue;
        }
        const field = String(issue.path[0] ?? 'account');
        problem(field, raw[field] === undefined ? 'is required' : describeIssue(issue));
      }
    }
    const account = parsed.success ? parsed.data : undefined;
    const apiKey = secretOf(raw, 'apiKey', env, rules, problem, { required: true });
    const privateKey = secretOf(raw, 'privateKey', env, rules, problem, { required: true });
    const webhookSecret = secretOf(raw, 'webhookSecret', env, rules, problem, { required: false });
    // Told even when another field is wrong, so that one reading of the errors finds them all.
    if (typeof raw.name === 'string' && ACCOUNT_NAME.test(raw.name)) {
      const earlier = named.get(raw.name);
      if (earlier !== undefined) problem('name', `is also the name of ${earlier}: names must be unique`);
      else named.set(raw.name, label);
    }
    if (webhookSecret !== undefined && webhookSecret !== '') {
      const field = raw.webhookSecretEnv === undefined ? 'webhookSecret' : 'webhookSecretEnv';
      if (!WEBHOOK_SECRET_FORMAT.test(webhookSecret)) {
        // The schema checked an inline one; one from the environment is checked here.
        if (field === 'webhookSecretEnv')
          problem(field, `names a variable whose value ${WEBHOOK_SECRET_RULE}`);
      } else {
        const other = webhookSecrets.get(webhookSecret);
        if (other !== undefined)
          problem(field, `gives the same secret as ${other}: the webhook URL must name one account`);
        else webhookSecrets.set(webhookSecret, label);
      }
    }
    if (account === undefined) return;
    for (const [field, why] of boundProblems(account, rules)) problem(field, why);
    accounts.push({
      name: account.name,
      apiKey: apiKey ?? '',
      privateKey: privateKey ?? '',
      ...(account.baseUrl === undefined ? {} : { baseUrl: account.baseUrl }),
      ...(account.maxRps === undefined ? {} : { maxRps: account.maxRps }),
      ...(account.schedule === undefined ? {} : { schedule: account.schedule }),
      ...(webhookSecret === undefined || webhookSecret === '' ? {} : { webhookSecret }),
    });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, accounts };
}

/** The base URL, budget and schedule against what the environment allows. */
function boundProblems(account: RawAccount, rules: AccountsFileRules): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  if (account.baseUrl !== undefined) {
    const insecure = insecureUrlProblem(account.baseUrl, rules.allowInsecure);
    if (insecure !== undefined) found.push(['baseUrl', insecure]);
  }
  if (account.maxRps !== undefined) {
    // The learned rate's bounds are shared when set: each account starts within them.
    if (rules.minRps !== undefined && account.maxRps < rules.minRps)
      found.push(['maxRps', 'must be at least TIMETAP_MIN_RPS (the learned rate’s floor)']);
    if (rules.ceilingRps !== undefined && account.maxRps > rules.ceilingRps)
      found.push(['maxRps', 'must be at most TIMETAP_MAX_RPS_CEILING (the learned rate’s ceiling)']);
  }
  if (account.schedule !== undefined && rules.checkSchedules) {
    const problem = scheduleProblem(account.schedule, { allowSeconds: rules.allowSeconds });
    if (problem !== undefined) found.push(['schedule', problem]);
  }
  return found;
}

/**
 * A secret given inline as `field` or named by `<field>Env`; undefined when neither is given.
 * A variable named but not set is a problem only for a command that needs the keys (`migrate`
 * may run where the keys are not), and then counts as empty.
 */
function secretOf(
  raw: Record<string, unknown>,
  field: 'apiKey' | 'privateKey' | 'webhookSecret',
  env: Readonly<Record<string, string | undefined>>,
  rules: AccountsFileRules,
  problem: (field: string, why: string) => void,
  options: { required: boolean },
): string | undefined {
  const envField = `${field}Env`;
  const given = raw[field];
  const variable = raw[envField];
  if (given !== undefined && variable !== undefined) {
    problem(field, `and ${envField} are both given: keep one`);
    return undefined;
  }
  if (given === undefined && variable === undefined) {
    if (options.required)
      problem(field, `is required, or ${envField}: the name of an environment variable that holds it`);
    return undefined;
  }
  if (given !== undefined) return typeof given === 'string' ? given : undefined;
  // A wrong one is the schema's to report.
  if (typeof variable !== 'string' || !ENV_NAME.test(variable)) return undefined;
  const value = env[variable];
  if (value === undefined || value === '') {
    if (rules.needKeys) problem(envField, 'names an environment variable that is not set');
    return '';
  }
  return value;
}

/** `accounts[2] "north"`; a name that is not a valid one is not quoted (it may be anything). */
function labelOf(raw: unknown, index: number): string {
  const name = isObject(raw) ? raw.name : undefined;
  return typeof name === 'string' && ACCOUNT_NAME.test(name)
    ? `accounts[${index}] "${name}"`
    : `accounts[${index}]`;
}

/** Unknown fields by name when they look like field names (a typo); otherwise only how many. */
function describeUnknown(keys: readonly string[]): string {
  const plain = keys.every((key) => /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(key));
  if (plain) return `${keys.length === 1 ? 'a field' : 'fields'} ${keys.map((k) => `"${k}"`).join(', ')}`;
  return keys.length === 1 ? 'a field' : `${keys.length} fields`;
}

/** The line and column of a JSON syntax error, from the position in JSON.parse's message. */
function whereInText(text: string, error: unknown): string {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '');
  if (position === null) return '';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

function readError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return typeof code === 'string' ? code : 'unknown error';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function failed(problem: string): AccountsFileResult {
  return { ok: false, problems: [problem] };
}
