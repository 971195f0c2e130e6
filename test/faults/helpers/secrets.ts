/**
 * The secret sweep (scenario 18): after a scenario, everything it left behind is searched for the
 * API key, the private key, the login signature, a session token and the login URL: every line
 * the workers printed, every `sync_runs` row (its `error` above all), and every Redis key of the
 * scenario's queue prefix, names and values.
 */
import type { Redis } from 'ioredis';
import { expectedSignature } from '../../../src/simulator/auth.js';
import type { FaultEnv } from './fault-env.js';

/** Session tokens as TimeTap (and the simulator) issue them. */
const SESSION_TOKEN = /st:api:api:[0-9a-f]{32}/;
/** The login URL with its query: `/sessionToken?apiKey=...&signature=...`. */
const LOGIN_URL = /sessionToken\?|[?&](apiKey|signature)=/;

export interface Leak {
  where: string;
  what: string;
}

export function findSecrets(
  where: string,
  text: string,
  credentials: FaultEnv['sim']['credentials'],
): Leak[] {
  const leaks: Leak[] = [];
  const literal: Record<string, string> = {
    'API key': credentials.apiKey,
    'private key': credentials.privateKey,
    signature: expectedSignature(credentials),
  };
  for (const [what, secret] of Object.entries(literal)) {
    if (text.includes(secret)) leaks.push({ where, what });
  }
  if (SESSION_TOKEN.test(text)) leaks.push({ where, what: 'session token' });
  if (LOGIN_URL.test(text)) leaks.push({ where, what: 'login URL' });
  return leaks;
}

export async function dumpRedis(redis: Redis, prefix: string): Promise<string> {
  const keys = await redis.keys(`${prefix}:*`);
  const parts: string[] = [];
  for (const key of keys) {
    parts.push(key);
    const type = await redis.type(key);
    if (type === 'string') parts.push((await redis.getBuffer(key))?.toString('latin1') ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

/** Every leak in the scenario's logs, `sync_runs` and Redis keys; empty when clean. */
export async function secretLeaks(env: FaultEnv, extraText: Record<string, string> = {}): Promise<Leak[]> {
  const { credentials } = env.sim;
  const runs = await env.database.db.$queryRawUnsafe<Array<{ row: string }>>(
    'SELECT row_to_json(r)::text AS row FROM sync_runs r',
  );
  const sources: Record<string, string> = {
    'worker output': env.output(),
    sync_runs: runs.map((r) => r.row).join('\n'),
    redis: await dumpRedis(env.redis, env.prefix),
    ...extraText,
  };
  return Object.entries(sources).flatMap(([where, text]) => findSecrets(where, text, credentials));
}
