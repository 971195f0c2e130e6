import { describe, expect, it } from 'vitest';
import { DatabaseProblem, explainDatabaseError } from '../../src/db/database-problem.js';
import { errorOrigin } from '../../src/error-origin.js';
import { asRedisFailure, RedisUnavailableError } from '../../src/redis/connection.js';
import { ExchangeError } from '../../src/timetap/http.js';

const DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/timetap';
const REDIS_URL = 'redis://127.0.0.1:6379';

/** What undici's fetch throws for a refused connection: the code two causes down. */
function refusedFetch(): Error {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4010'), { code: 'ECONNREFUSED' });
  return new TypeError('fetch failed', { cause: socket });
}

describe('errorOrigin', () => {
  it('a TimeTap request refused at the TCP level is TimeTap’s, whatever code its causes carry', () => {
    const timetap = new ExchangeError(
      '/sessionToken',
      'network',
      'network error ECONNREFUSED',
      refusedFetch(),
    );
    expect(errorOrigin(timetap)).toBe('timetap');
    expect(errorOrigin(new Error('wrapped', { cause: timetap }))).toBe('timetap');
    expect(explainDatabaseError(timetap, DATABASE_URL)).toBeUndefined();
    expect(asRedisFailure(REDIS_URL, timetap)).toBeUndefined();
  });

  it('the outermost error that knows its origin decides', () => {
    const redis = new RedisUnavailableError('cannot reach Redis', { retryable: true, cause: refusedFetch() });
    expect(errorOrigin(redis)).toBe('redis');
    expect(explainDatabaseError(redis, DATABASE_URL)).toBeUndefined();
    const prisma = Object.assign(new Error('Invalid `prisma.syncRun.create()` invocation'), {
      name: 'PrismaClientKnownRequestError',
      code: 'P1001',
    });
    expect(errorOrigin(prisma)).toBe('postgres');
    expect(asRedisFailure(REDIS_URL, prisma)).toBeUndefined();
    expect(explainDatabaseError(prisma, DATABASE_URL)?.kind).toBe('unreachable');
  });

  it('a bare network error (node-postgres has no type of its own) is still explained as Postgres', () => {
    const bare = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(errorOrigin(bare)).toBeUndefined();
    const problem = explainDatabaseError(bare, DATABASE_URL);
    expect(problem).toBeInstanceOf(DatabaseProblem);
    expect(problem?.message).toMatch(/^cannot reach Postgres at 127\.0\.0\.1:5432/);
  });
});
