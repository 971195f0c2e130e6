/**
 * Where the tests find Postgres and Redis. With a reachable Docker engine, testcontainers starts
 * throwaway ones; otherwise the running local services named by TEST_DATABASE_URL and
 * TEST_REDIS_URL are used (defaulting to the loopback services). Both paths are real servers.
 * The chosen URLs reach the test files through `provide`/`inject`.
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
  let databaseUrl = process.env.TEST_DATABASE_URL ?? LOCAL_DATABASE_URL;
  let redisUrl = process.env.TEST_REDIS_URL ?? LOCAL_REDIS_URL;

  if (!process.env.TEST_DATABASE_URL && (await dockerIsReachable())) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const { RedisContainer } = await import('@testcontainers/redis');
    const pg = await new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').start();
    const redis = await new RedisContainer('redis:7-alpine').start();
    stops.push(
      () => pg.stop(),
      () => redis.stop(),
    );
    databaseUrl = pg.getConnectionUri();
    redisUrl = redis.getConnectionUrl();
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
