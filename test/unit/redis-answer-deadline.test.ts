/**
 * A hung Redis raises no error: the worker's PING now and then (watchForHang) finds it, tells the
 * outage log once, and tells it again when the late answer comes. The connection is a stand-in.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { OutageLog } from '../../src/outage-log.js';
import { watchForHang } from '../../src/redis/answer-deadline.js';

function recordingLog() {
  const events: string[] = [];
  const log: OutageLog = {
    lost: (reason) => void events.push(`lost: ${reason}`),
    restored: () => void events.push('restored'),
    isDown: () => false,
  };
  return { events, log };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchForHang', () => {
  it('tells the outage log of a PING that goes unanswered, one PING at a time, and of its late answer', async () => {
    let pings = 0;
    let answer: (value: string) => void = () => undefined;
    const redis = {
      status: 'ready',
      ping: () => {
        pings += 1;
        return new Promise<string>((resolve) => (answer = resolve));
      },
    } as unknown as Redis;
    const { events, log } = recordingLog();
    const stop = watchForHang({
      redis,
      redisUrl: 'redis://cache.internal:6379',
      outages: log,
      everyMs: 20,
      timeoutMs: 60,
    });
    try {
      await sleep(200);
      expect(pings).toBe(1);
      expect(events).toEqual(['lost: no answer within 0.06 s']);
      answer('PONG');
      await sleep(10);
      expect(events).toEqual(['lost: no answer within 0.06 s', 'restored']);
      await sleep(60);
      expect(pings).toBeGreaterThan(1);
    } finally {
      stop();
    }
  });

  it('leaves a connection that is not ready alone: its loss reports itself', async () => {
    let pings = 0;
    const redis = {
      status: 'reconnecting',
      ping: () => Promise.resolve(String(++pings)),
    } as unknown as Redis;
    const { events, log } = recordingLog();
    const stop = watchForHang({ redis, redisUrl: 'redis://cache.internal:6379', outages: log, everyMs: 10 });
    await sleep(60);
    stop();
    expect(pings).toBe(0);
    expect(events).toEqual([]);
  });
});
