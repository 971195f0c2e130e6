/**
 * The shared request budget against a real Redis. Each "process" is a limiter on its own
 * connection; the budget must hold across all of them together. The rate is checked on the grant
 * times Redis itself recorded (audit), which is exact, and on the tasks' own start times.
 */
import { describe, expect, it } from 'vitest';
import { createRedisLimiter, limiterKeys, type RedisLimiterOptions } from '../../src/redis/limiter.js';
import { maxGrantsInWindow, minGrantGapUs, readLimiterAudit } from '../../src/redis/limiter-audit.js';
import { useTestRedis } from '../helpers/redis.js';

const { connect, newKey: keyFor } = useTestRedis('redis-limiter');
const newKey = () => keyFor('timetap:budget');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function limiters(count: number, options: RedisLimiterOptions) {
  return Array.from({ length: count }, () => createRedisLimiter(connect(), options));
}

describe('createRedisLimiter', () => {
  it('wakes one of its own waiters as soon as it frees a lease, rather than at the end of its sleep', async () => {
    const [limiter] = limiters(1, { key: newKey(), maxRps: 1000, maxConcurrency: 1, pollMs: 1_000 });
    const starts: number[] = [];
    const began = performance.now();
    await Promise.all(
      [0, 1, 2].map(() =>
        limiter!.run(async () => {
          starts.push(performance.now() - began);
          await sleep(50);
        }),
      ),
    );
    // Each waited for the lease before it (50 ms), not for its poll (1 s).
    expect(starts[2]).toBeLessThan(600);
  });

  it('holds maxRps and maxConcurrency across 3 processes (60 tasks, 20 rps, 3 in flight)', async () => {
    const key = newKey();
    const all = limiters(3, { key, maxRps: 20, maxConcurrency: 3, audit: true });
    let inFlight = 0;
    let maxInFlight = 0;
    const starts: number[] = [];
    const began = performance.now();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        all[i % 3]!.run(async () => {
          starts.push(Date.now());
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(20 + ((i * 37) % 100)); // 20-120 ms: both limits bind at times
          inFlight -= 1;
        }),
      ),
    );
    const elapsedMs = performance.now() - began;

    expect(maxInFlight).toBe(3);
    const grants = await readLimiterAudit(connect(), key);
    expect(grants).toHaveLength(60);
    // Exact, on Redis' clock: never more than 20 grants in any 1 s window, starts >= 50 ms apart.
    expect(maxGrantsInWindow(grants)).toBeLessThanOrEqual(20);
    expect(minGrantGapUs(grants)).toBeGreaterThanOrEqual(50_000);
    // On the tasks' clock: no task starts before the slot it was granted. (Counting the tasks'
    // own starts per window instead would measure the machine: under load one task wakes a few
    // ms late and the next on time, and two starts look closer than their slots were.) Each start
    // follows its own grant, so the i-th earliest start follows the i-th earliest grant; 2 ms
    // allow for the two clocks' resolution (Date.now() in ms, Redis TIME in µs).
    const startsUs = [...starts].sort((a, b) => a - b).map((ms) => ms * 1000);
    const grantsUs = [...grants].sort((a, b) => a - b);
    startsUs.forEach((start, i) => {
      expect(start).toBeGreaterThanOrEqual((grantsUs[i] ?? 0) - 2_000);
    });
    // The budget is used, not just respected: 60 starts at 20/s need about 3 s, not much more.
    expect(elapsedMs).toBeGreaterThanOrEqual(2_950);
    expect(elapsedMs).toBeLessThan(5_000);
    // Every slot was handed back.
    expect(await connect().zcard(limiterKeys(key).leases)).toBe(0);
  });

  it('spaces starts evenly when only the rate binds', async () => {
    const key = newKey();
    const all = limiters(3, { key, maxRps: 25, maxConcurrency: 100, audit: true });
    const began = performance.now();
    await Promise.all(Array.from({ length: 30 }, (_, i) => all[i % 3]!.run(async () => undefined)));
    const elapsedMs = performance.now() - began;
    const grants = await readLimiterAudit(connect(), key);
    expect(maxGrantsInWindow(grants)).toBeLessThanOrEqual(25);
    expect(minGrantGapUs(grants)).toBeGreaterThanOrEqual(40_000);
    expect(elapsedMs).toBeGreaterThanOrEqual(29 * 40 - 5);
    expect(elapsedMs).toBeLessThan(2_500);
    expect(all[0]!.stats().waitMs).toBeGreaterThan(0);
  });

  it('frees the slot of a process that died while holding it, after leaseMs', async () => {
    const key = newKey();
    const options = { key, maxRps: 100, maxConcurrency: 1, leaseMs: 600 };
    const doomed = connect();
    const [survivor] = limiters(1, options);
    let holding = false;
    void createRedisLimiter(doomed, options)
      .run(async () => {
        holding = true;
        await new Promise(() => undefined); // never settles: the process "dies" holding the slot
      })
      .catch(() => undefined);
    while (!holding) await sleep(5);
    doomed.disconnect(); // no release, no renewal: only the lease's expiry can free the slot
    const began = performance.now();
    await survivor!.run(async () => undefined);
    const waited = performance.now() - began;
    expect(waited).toBeGreaterThanOrEqual(450);
    expect(waited).toBeLessThan(1_500);
  });

  it('renews the lease of a slow live holder, so the concurrency bound holds past leaseMs', async () => {
    const key = newKey();
    const [a, b] = limiters(2, { key, maxRps: 100, maxConcurrency: 1, leaseMs: 300 });
    let inFlight = 0;
    let maxInFlight = 0;
    const task = (ms: number) => async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(ms);
      inFlight -= 1;
    };
    const slow = a!.run(task(1_000));
    await sleep(20);
    await Promise.all([slow, b!.run(task(10))]);
    expect(maxInFlight).toBe(1);
  });

  it('rejects promptly with the reason when aborted while waiting, and never runs the task', async () => {
    const key = newKey();
    const [a, b] = limiters(2, { key, maxRps: 100, maxConcurrency: 1 });
    const holder = a!.run(() => sleep(800));
    await sleep(20);
    const controller = new AbortController();
    let ran = false;
    const waiting = b!.run(async () => {
      ran = true;
    }, controller.signal);
    await sleep(100);
    const reason = new Error('shutdown');
    const abortedAt = performance.now();
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(performance.now() - abortedAt).toBeLessThan(50);
    await holder;
    expect(ran).toBe(false);
    expect(await connect().zcard(limiterKeys(key).leases)).toBe(0);
  });

  it('rejects an already-aborted signal at once, and releases the slot when the task throws', async () => {
    const key = newKey();
    const [a] = limiters(1, { key, maxRps: 100, maxConcurrency: 1 });
    const reason = new Error('already gone');
    await expect(a!.run(async () => 1, AbortSignal.abort(reason))).rejects.toBe(reason);
    const failure = new Error('request failed');
    await expect(a!.run(() => Promise.reject(failure))).rejects.toBe(failure);
    await expect(a!.run(async () => 'next')).resolves.toBe('next');
  });
});
