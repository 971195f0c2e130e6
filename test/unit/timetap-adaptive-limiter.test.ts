/**
 * The in-process limiter in adaptive mode (`timetap-sync sync`): the rate grows while the budget
 * is used up, a 429 cuts it and its Retry-After holds back every waiter; fixed mode ignores answers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { aimdSettings } from '../../src/timetap/aimd.js';
import { createLocalLimiter } from '../../src/timetap/limiter.js';

const law = aimdSettings({
  initialRps: 50,
  floorRps: 1,
  ceilingRps: 100,
  increaseRps: 10,
  decreaseFactor: 0.5,
  intervalMs: 100,
});

describe('createLocalLimiter, adaptive', () => {
  it('grows the rate while requests wait for it and succeed, up to the ceiling', async () => {
    const limiter = createLocalLimiter({ maxRps: 50, maxConcurrency: 10, adaptive: law });
    expect(limiter.currentRps()).toBe(50);
    await Promise.all(Array.from({ length: 80 }, () => limiter.run(async (slot) => slot.succeeded())));
    // 80 starts at 50-100/s take about 1 s: several intervals of growth.
    expect(limiter.currentRps()).toBeGreaterThanOrEqual(80);
    expect(limiter.currentRps()).toBeLessThanOrEqual(100);
  });

  it('cuts on a 429 and holds every waiter back for its Retry-After', async () => {
    const limiter = createLocalLimiter({ maxRps: 50, maxConcurrency: 10, adaptive: law });
    await limiter.run(async (slot) => slot.throttled(300));
    expect(limiter.currentRps()).toBe(25);
    const pausedAt = performance.now();
    const starts = await Promise.all(
      Array.from({ length: 3 }, () => limiter.run(async () => performance.now() - pausedAt)),
    );
    for (const start of starts) expect(start).toBeGreaterThanOrEqual(295);
    // Spaced at the cut rate, 40 ms apart.
    const sorted = starts.sort((a, b) => a - b);
    expect((sorted[2] as number) - (sorted[0] as number)).toBeGreaterThanOrEqual(78);
  });

  it('cuts once for the 429s of requests granted before the cut', async () => {
    const limiter = createLocalLimiter({ maxRps: 50, maxConcurrency: 10, adaptive: law });
    const slots = await Promise.all(Array.from({ length: 5 }, () => limiter.run(async (slot) => slot)));
    await sleep(5);
    for (const slot of slots) slot.throttled();
    expect(limiter.currentRps()).toBe(25);
  });

  it('without `adaptive` holds maxRps whatever the answers', async () => {
    const limiter = createLocalLimiter({ maxRps: 50, maxConcurrency: 10 });
    await limiter.run(async (slot) => slot.throttled(1_000));
    const began = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => limiter.run(async (slot) => slot.succeeded())));
    expect(performance.now() - began).toBeLessThan(500);
    expect(limiter.currentRps()).toBe(50);
  });
});
