/**
 * The control law of the learned rate (AIMD), on an injected clock: deterministic, no timers.
 */
import { describe, expect, it } from 'vitest';
import {
  type AimdState,
  aimdLimited,
  aimdSettings,
  aimdSucceeded,
  aimdThrottled,
  startAimd,
} from '../../src/timetap/aimd.js';

/** Without slow start (a factor of 1 leaves only the additive step): AIMD alone. */
const law = aimdSettings({
  initialRps: 5,
  floorRps: 0.5,
  ceilingRps: 20,
  increaseRps: 1,
  decreaseFactor: 0.5,
  slowStartFactor: 1,
  intervalMs: 1_000,
});
const slowStarting = aimdSettings({ ...law, slowStartFactor: 2, ceilingRps: 100 });

/** A second of saturated success at `t`: a request waited for the rate, then one succeeded. */
const busySecond = (state: AimdState, t: number) => aimdSucceeded(aimdLimited(state, t), law, t);

describe('AIMD', () => {
  it('defaults: starts at TIMETAP_MAX_RPS, steps by a fortieth of it, cuts by a quarter, one step a second', () => {
    const settings = aimdSettings({ initialRps: 8, floorRps: 0.5, ceilingRps: 32 });
    expect(settings).toMatchObject({
      increaseRps: 0.2,
      decreaseFactor: 0.75,
      slowStartFactor: 1.5,
      intervalMs: 1_000,
    });
    expect(startAimd(settings, 0).rps).toBe(8);
  });

  it('adds one step per interval of saturated success, however many requests succeed in it', () => {
    let state = startAimd(law, 0);
    for (let t = 10; t < 1_000; t += 10) state = busySecond(state, t);
    expect(state.rps).toBe(5);
    state = busySecond(state, 1_000);
    expect(state.rps).toBe(6);
    for (let t = 1_010; t < 2_000; t += 10) state = busySecond(state, t);
    expect(state.rps).toBe(6);
    for (let s = 2; s <= 5; s += 1) state = busySecond(state, s * 1_000);
    expect(state.rps).toBe(10);
  });

  it('does not grow while the budget is not used up (application-limited)', () => {
    let state = startAimd(law, 0);
    for (let s = 1; s <= 60; s += 1) state = aimdSucceeded(state, law, s * 1_000);
    expect(state.rps).toBe(5);
    // A wait for the rate more than an interval ago says nothing about now.
    state = aimdLimited(state, 60_000);
    state = aimdSucceeded(state, law, 61_500);
    expect(state.rps).toBe(5);
  });

  it('never rises above the ceiling nor falls below the floor', () => {
    let state = startAimd(law, 0);
    for (let s = 1; s <= 100; s += 1) state = busySecond(state, s * 1_000);
    expect(state.rps).toBe(20);
    for (let s = 101; s <= 120; s += 1) {
      state = aimdThrottled(state, law, s * 1_000, { grantedAt: s * 1_000 - 10 });
    }
    expect(state.rps).toBe(0.5);
    expect(aimdSettings({ initialRps: 100, floorRps: 1, ceilingRps: 10 }).initialRps).toBe(100);
    expect(startAimd(aimdSettings({ initialRps: 100, floorRps: 1, ceilingRps: 10 }), 0).rps).toBe(10);
  });

  it('cuts multiplicatively on a 429, and once only for the requests granted before the cut', () => {
    let state = startAimd(law, 0);
    for (let s = 1; s <= 5; s += 1) state = busySecond(state, s * 1_000);
    expect(state.rps).toBe(10);
    // One overload: eight requests granted before the first 429 all come back with 429.
    for (let i = 0; i < 8; i += 1) {
      state = aimdThrottled(state, law, 5_100 + i, { grantedAt: 5_050 + i });
    }
    expect(state.rps).toBe(5);
    expect(state.throttles).toBe(8);
    // A request granted after the cut that still gets 429: the lower rate is still too high.
    state = aimdThrottled(state, law, 5_300, { grantedAt: 5_200 });
    expect(state.rps).toBe(2.5);
  });

  it('pauses for Retry-After, never shortening a pause, and does not grow during one', () => {
    let state = startAimd(law, 0);
    state = aimdThrottled(state, law, 1_000, { grantedAt: 990, retryAfterMs: 3_000 });
    expect(state.pausedUntil).toBe(4_000);
    state = aimdThrottled(state, law, 1_500, { grantedAt: 990, retryAfterMs: 1_000 });
    expect(state.pausedUntil).toBe(4_000);
    const before = state.rps;
    state = busySecond(state, 3_000);
    expect(state.rps).toBe(before);
    // Growth resumes an interval after the pause ends, not as soon as it ends.
    state = busySecond(state, 4_500);
    expect(state.rps).toBe(before);
    state = busySecond(state, 5_000);
    expect(state.rps).toBe(before + 1);
    // A 429 without Retry-After cuts but does not pause.
    const unpaused = aimdThrottled(startAimd(law, 0), law, 500, { grantedAt: 400 });
    expect(unpaused.pausedUntil).toBe(Number.NEGATIVE_INFINITY);
    expect(unpaused.rps).toBe(2.5);
  });

  it('restarts the increase clock at a cut, so growth resumes an interval later', () => {
    let state = startAimd(law, 0);
    state = aimdThrottled(state, law, 10_000, { grantedAt: 9_990 });
    expect(state.rps).toBe(2.5);
    state = busySecond(state, 10_500);
    expect(state.rps).toBe(2.5);
    state = busySecond(state, 11_000);
    expect(state.rps).toBe(3.5);
  });

  it('converges to a sawtooth under a hidden limit: mostly below it, never far above it', () => {
    // A rough model: requests get 429 whenever the rate is above the limit.
    const limit = 12;
    let state = startAimd(law, 0);
    const rates: number[] = [];
    for (let s = 1; s <= 120; s += 1) {
      const t = s * 1_000;
      state =
        state.rps > limit
          ? aimdThrottled(aimdLimited(state, t), law, t, { grantedAt: t - 100 })
          : busySecond(state, t);
      rates.push(state.rps);
    }
    const settled = rates.slice(30);
    expect(Math.max(...settled)).toBeLessThanOrEqual(limit + law.increaseRps);
    expect(Math.min(...settled)).toBeGreaterThanOrEqual(limit * law.decreaseFactor);
  });

  it('slow start: multiplies the rate per interval of saturated success until the first 429', () => {
    const busy = (state: AimdState, t: number) => aimdSucceeded(aimdLimited(state, t), slowStarting, t);
    let state = startAimd(slowStarting, 0);
    for (let s = 1; s <= 3; s += 1) state = busy(state, s * 1_000);
    expect(state.rps).toBe(40);
    // Not while the budget is not used up (the last wait for the rate over an interval ago).
    expect(aimdSucceeded(state, slowStarting, 4_500).rps).toBe(40);
    state = busy(state, 5_000);
    expect(state.rps).toBe(80);
    state = aimdThrottled(state, slowStarting, 5_500, { grantedAt: 5_400 });
    expect(state.rps).toBe(40);
    // From the first 429 on: additive steps only, and never slow start again.
    for (let s = 6; s <= 9; s += 1) state = busy(state, s * 1_000);
    expect(state.rps).toBe(43);
    state = busy(state, 10_000);
    expect(state.rps).toBe(44);
    // Slow start never passes the ceiling.
    let capped = startAimd(slowStarting, 0);
    for (let s = 1; s <= 10; s += 1) capped = busy(capped, s * 1_000);
    expect(capped.rps).toBe(100);
  });

  it('slow start finds a limit far above the guess in seconds, then settles into the sawtooth', () => {
    const defaults = aimdSettings({ initialRps: 2, floorRps: 0.5, ceilingRps: 40 });
    const limit = 12;
    let state = startAimd(defaults, 0);
    let reachedAt: number | undefined;
    for (let s = 1; s <= 120; s += 1) {
      const t = s * 1_000;
      state =
        state.rps > limit
          ? aimdThrottled(aimdLimited(state, t), defaults, t, { grantedAt: t - 100 })
          : aimdSucceeded(aimdLimited(state, t), defaults, t);
      if (reachedAt === undefined && state.rps >= 0.85 * limit) reachedAt = s;
    }
    // 2 -> 3 -> 4.5 -> 6.75 -> 10.1 -> 15.2 (cut): 85% of the limit within 5 s, where additive
    // steps of 2/40 per second would take 160 s.
    expect(reachedAt).toBeLessThanOrEqual(5);
    expect(state.rps).toBeGreaterThanOrEqual(limit * defaults.decreaseFactor);
    expect(state.rps).toBeLessThanOrEqual(limit + defaults.increaseRps);
  });

  it('refuses settings that cannot work', () => {
    expect(() => aimdSettings({ initialRps: 5, floorRps: 1, ceilingRps: 20, slowStartFactor: 0.9 })).toThrow(
      RangeError,
    );
    expect(() => aimdSettings({ initialRps: 5, floorRps: 10, ceilingRps: 5 })).toThrow(RangeError);
    expect(() => aimdSettings({ initialRps: 5, floorRps: 1, ceilingRps: 20, decreaseFactor: 1 })).toThrow(
      RangeError,
    );
    expect(() => aimdSettings({ initialRps: 0, floorRps: 1, ceilingRps: 20 })).toThrow(RangeError);
  });
});
