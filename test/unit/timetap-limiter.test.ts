import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLocalLimiter } from '../../src/timetap/limiter.js';

/** Runs `count` fake tasks of `taskMs` each through the limiter, recording start/end times. */
async function runTasks(options: { maxRps: number; maxConcurrency: number }, count: number, taskMs: number) {
  const limiter = createLocalLimiter(options);
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: count }, () =>
      limiter.run(async () => {
        starts.push(performance.now() - t0);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(taskMs);
        inFlight -= 1;
      }),
    ),
  );
  return { starts, maxInFlight, totalMs: performance.now() - t0 };
}

describe('createLocalLimiter', () => {
  it('spaces starts by the rate: N tasks at R rps take at least (N-1)/R seconds', async () => {
    const { starts, totalMs } = await runTasks({ maxRps: 20, maxConcurrency: 100 }, 11, 1);
    // 10 intervals of 50 ms; allow 1 ms of timer rounding per interval.
    expect(totalMs).toBeGreaterThanOrEqual(10 * 50 - 10);
    const sorted = [...starts].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual(10 * 50 - 10);
  });

  it('never runs more than maxConcurrency tasks at once', async () => {
    const { maxInFlight } = await runTasks({ maxRps: 1000, maxConcurrency: 3 }, 20, 20);
    expect(maxInFlight).toBe(3);
  });

  it('holds the slot until the task settles, also when it rejects', async () => {
    const limiter = createLocalLimiter({ maxRps: 1000, maxConcurrency: 1 });
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 42)).resolves.toBe(42);
  });

  it('drops a queued task whose signal aborts, without running it', async () => {
    const limiter = createLocalLimiter({ maxRps: 1000, maxConcurrency: 1 });
    let release!: () => void;
    const blocker = limiter.run(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    let ran = false;
    const queued = limiter.run(async () => {
      ran = true;
    }, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(queued).rejects.toThrow('shutdown');
    release();
    await blocker;
    await expect(limiter.run(async () => 'next')).resolves.toBe('next');
    expect(ran).toBe(false);
  });

  it('keeps one abort listener per signal however many requests wait, and none once they left', async () => {
    const limiter = createLocalLimiter({ maxRps: 1000, maxConcurrency: 2 });
    const controller = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const runs = Array.from({ length: 50 }, (_, i) => limiter.run(() => sleep(2, i), controller.signal));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      expect(await Promise.all(runs)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
      await sleep(10); // process warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });

  it('on abort drops every request still waiting under that signal, and only those', async () => {
    const limiter = createLocalLimiter({ maxRps: 1000, maxConcurrency: 1 });
    const shutdown = new AbortController();
    const other = new AbortController();
    let release!: () => void;
    const blocker = limiter.run(() => new Promise<string>((resolve) => (release = () => resolve('ran'))));
    const ran: string[] = [];
    const doomed = Array.from({ length: 20 }, (_, i) =>
      limiter.run(async () => ran.push(`doomed ${i}`), shutdown.signal),
    );
    const kept = limiter.run(async () => ran.push('kept'), other.signal);
    const plain = limiter.run(async () => ran.push('plain'));
    shutdown.abort(new Error('shutdown'));
    const outcomes = await Promise.allSettled(doomed);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'shutdown')).toBe(
      true,
    );
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    release();
    await Promise.all([blocker, kept, plain]);
    expect(ran).toEqual(['kept', 'plain']);
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  it('rejects nonsense options', () => {
    expect(() => createLocalLimiter({ maxRps: 0, maxConcurrency: 1 })).toThrow(RangeError);
    expect(() => createLocalLimiter({ maxRps: 1, maxConcurrency: 0 })).toThrow(RangeError);
  });
});
