/**
 * Where the tests find Postgres and Redis. TEST_DATABASE_URL and TEST_REDIS_URL name servers to
 * use, each for its own; for a server not named, testcontainers starts a throwaway one when a
 * Docker engine is reachable (TESTCONTAINERS_DISABLED=true: never), and otherwise the loopback
 * service on its default port is used. Every path is a real server. The chosen URLs reach the
 * test files through `provide`/`inject`; nothing else (DATABASE_URL, REDIS_URL, .env) chooses.
 */
import type { TestProject } from 'vitest/node';

const LOCAL_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<unknown>> = [];
  const givenDatabase = process.env.TEST_DATABASE_URL || undefined;
  const givenRedis = process.env.TEST_REDIS_URL || undefined;
  let databaseUrl = givenDatabase ?? LOCAL_DATABASE_URL;
  let redisUrl = givenRedis ?? LOCAL_REDIS_URL;

  if ((givenDatabase === undefined || givenRedis === undefined) && (await dockerIsReachable())) {
    if (givenDatabase === undefined) {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const pg = await new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').start();
      stops.push(() => pg.stop());
      databaseUrl = pg.getConnectionUri();
    }
    if (givenRedis === undefined) {
      const { RedisContainer } = await import('@testcontainers/redis');
      const redis = await new RedisContainer('redis:7-alpine').start();
      stops.push(() => redis.stop());
      redisUrl = redis.getConnectionUrl();
    }
  }

  project.provide('databaseUrl', databaseUrl);
  project.provide('redisUrl', redisUrl);
  return async () => {
    for (const stop of stops) await stop();
  };
}

async function dockerIsReachable(): Promise<boolean> {
  if (process.env.TESTCONTAINERS_DISABLED === 'true') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
