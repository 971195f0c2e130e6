/**
 * Connections as BullMQ's production guide wants them: a worker connection rides out a dropped
 * connection; a client connection fails fast while Redis is unreachable; neither leaks the
 * password into a log line; and a database index that Redis refuses closes the connection for
 * good instead of letting ioredis carry on in database 0.
 */
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { Redis as IORedis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection, waitForRedis } from '../../src/redis/connection.js';

const lines: string[] = [];
// No scrubbing: the connection module itself must keep the password out of its lines.
const logger = createLogger({
  level: 'debug',
  redactor: { add() {}, scrub: (text) => text },
  destination: new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  }),
});
const opened: Redis[] = [];

afterEach(() => {
  for (const redis of opened.splice(0)) redis.disconnect();
  lines.length = 0;
});

describe('createRedisConnection', () => {
  it('a worker connection survives CLIENT KILL of itself and keeps its name', async () => {
    const name = `timetap-sync:test-${process.pid}-${Date.now()}`;
    const redis = createRedisConnection(inject('redisUrl'), { role: 'worker', logger, name });
    const admin = createRedisConnection(inject('redisUrl'), { role: 'worker', logger });
    opened.push(redis, admin);
    expect(await redis.ping()).toBe('PONG');
    const id = await redis.client('ID');
    expect(await admin.client('KILL', 'ID', String(id))).toBe(1);
    // Issued while the connection is down: the offline queue holds it until the reconnection.
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.client('ID')).not.toBe(id);
    expect(await redis.client('GETNAME')).toBe(name);
  });

  it('a client connection fails fast while Redis is unreachable, and logs one line without the password', async () => {
    const url = 'redis://:hunter2-secret@127.0.0.1:1/0';
    const redis = createRedisConnection(url, { role: 'client', logger });
    opened.push(redis);
    const began = performance.now();
    await expect(redis.ping()).rejects.toThrow();
    expect(performance.now() - began).toBeLessThan(500);
    await expect(waitForRedis(redis, url)).rejects.toThrow(
      'cannot reach Redis at 127.0.0.1:1 (connection refused); is it running?',
    );
    expect(performance.now() - began).toBeLessThan(4_000);
    expect(lines.length).toBe(1); // the outage's first line; however many attempts failed
    expect(lines[0]).toContain('"msg":"redis unreachable"');
    expect(lines[0]).toContain('127.0.0.1:1');
    expect(lines.join('')).not.toContain('hunter2-secret');
  });

  it('a database index that Redis refuses closes the connection: one line naming it, nothing in database 0', async () => {
    const base = new URL(inject('redisUrl'));
    base.pathname = '/99';
    const url = base.toString();
    const redis = createRedisConnection(url, { role: 'worker', logger });
    opened.push(redis);
    const key = `tts-test-db99-${process.pid}-${Date.now()}`;
    // Issued at once, as BullMQ does: the offline queue would send it once connected.
    const write = redis.set(key, 'lost');
    const began = performance.now();
    await expect(waitForRedis(redis, url)).rejects.toThrow(
      /refused database 99 \(ERR DB index is out of range\)/,
    );
    expect(performance.now() - began).toBeLessThan(2_000);
    await expect(write).rejects.toThrow();
    expect(redis.status).toBe('end');
    await new Promise((resolve) => setTimeout(resolve, 300)); // no reconnection, no more lines
    expect(lines.filter((line) => line.includes('refused database 99'))).toHaveLength(1);
    expect(lines).toHaveLength(1);
    const plain = new IORedis(inject('redisUrl'));
    try {
      expect(await plain.exists(key)).toBe(0);
    } finally {
      plain.disconnect();
    }
  });
});
