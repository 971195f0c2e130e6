/**
 * Connections as BullMQ's production guide wants them: a worker connection rides out a dropped
 * connection; a client connection fails fast while Redis is unreachable; neither leaks the
 * password into a log line.
 */
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedisConnection } from '../../src/redis/connection.js';

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

  it('a client connection fails fast while Redis is unreachable, and logs without the password', async () => {
    const redis = createRedisConnection('redis://:hunter2-secret@127.0.0.1:1/0', { role: 'client', logger });
    opened.push(redis);
    const began = performance.now();
    await expect(redis.ping()).rejects.toThrow();
    expect(performance.now() - began).toBeLessThan(500);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it fail to connect a few times
    expect(lines.length).toBe(1); // throttled: one line, however many attempts
    expect(lines[0]).toContain('redis connection error');
    expect(lines[0]).toContain('127.0.0.1:1');
    expect(lines.join('')).not.toContain('hunter2-secret');
  });
});
