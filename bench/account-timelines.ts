/**
 * Where the time of bench 10's part A went (bench/accounts.ts): each account's timeline, the
 * worker slots the accounts held, and how late requests reached their simulator after their
 * limiter's grant, beside this process' own stalls (the simulators answer here).
 */
import { loadavg } from 'node:os';
import type { IntervalHistogram } from 'node:perf_hooks';
import type { AccountFleet, AccountRun } from './account-fleet.js';
import { fmt } from './figures.js';

/** What part A learns of each account: its calls, its bound, its timeline, its busiest second. */
export interface AccountFigures {
  account: string;
  run: AccountRun;
  calls: number;
  boundMs: number;
  firstCallAt: number;
  lastCallAt: number;
  /** Most requests its simulator saw start in any 1 s window, and most grants its limiter made. */
  seenPerSecond: number;
  grantedPerSecond: number;
  allowedPerSecond: number;
  /** How late its requests reached its simulator after their grants: the most, and when (ms). */
  lateMs: number;
  lateAt: number;
  /** When its busiest window at the simulator began (epoch ms). */
  busiestAt: number;
}

/** Part A's timelines: when accounts started and finished, relative to the enqueue of them all. */
export function timelineNote(each: readonly AccountFigures[], startedAt: number, wallMs: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const firstCalls = each.map((e) => e.firstCallAt - startedAt).sort((x, y) => x - y);
  const ends = each.map((e) => e.run.finishedAt - startedAt).sort((x, y) => x - y);
  const own = each.map((e) => (e.run.finishedAt - e.firstCallAt) / e.boundMs).sort((x, y) => x - y);
  const tails = each.map((e) => e.run.finishedAt - e.lastCallAt).sort((x, y) => x - y);
  const pick = (values: number[], q: number) =>
    values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN;
  const late = each.reduce((x, y) => (y.firstCallAt > x.firstCallAt ? y : x));
  return (
    `10 (A, timelines, from the enqueue of all ${each.length}; all done in ${s(wallMs)}): first call to its simulator ` +
    `median ${s(pick(firstCalls, 0.5))}, last ${s(firstCalls.at(-1) ?? 0)} (${late.account}); finished: first ${s(ends[0] ?? 0)}, ` +
    `median ${s(pick(ends, 0.5))}, last ${s(ends.at(-1) ?? 0)}. Each account's own time (first call to its run's end) over its ` +
    `bound: median ${fmt.ratio(pick(own, 0.5))}, worst ${fmt.ratio(own.at(-1) ?? 0)}; from its last call's answer to its ` +
    `run's end: median ${pick(tails, 0.5)} ms, worst ${tails.at(-1)} ms. Most grants in 1 s by any account's limiter (audit): ` +
    `${Math.max(...each.map((e) => e.grantedPerSecond))}.`
  );
}

/** Every 500 ms, the worker slots each account holds: how much of the fleet the accounts used. */
export function sampleSlots(fleet: AccountFleet): { stop(): void; describe(slots: number): string } {
  const samples: number[][] = [];
  const timer = setInterval(() => {
    fleet.heldSlots().then(
      (held) => samples.push(held),
      () => undefined,
    );
  }, 500);
  return {
    stop: () => clearInterval(timer),
    describe(slots) {
      const totals = samples.map((held) => held.reduce((n, h) => n + h, 0));
      const holding = samples.map((held) => held.filter((h) => h > 0).length);
      const mean = (values: number[]) => values.reduce((n, v) => n + v, 0) / Math.max(values.length, 1);
      const most = Math.max(0, ...samples.flat());
      return (
        `10 (A, slot use, ${samples.length} samples 500 ms apart): slots held of the fleet's ${slots}: mean ` +
        `${mean(totals).toFixed(1)}, most ${Math.max(0, ...totals)}; accounts holding one or more: mean ` +
        `${mean(holding).toFixed(1)}, most ${Math.max(0, ...holding)}; most held by one account ${most}.`
      );
    },
  };
}

/**
 * How late requests reached their simulator after their limiter's grant: the k-th arrival against
 * the k-th grant (every request, the login included, takes one grant; no retries in a clean run).
 */
export function lateness(
  arrivalsMs: readonly number[],
  grantsUs: readonly number[],
): { lateMs: number; lateAt: number } {
  if (arrivalsMs.length !== grantsUs.length) return { lateMs: Number.NaN, lateAt: Number.NaN };
  let lateMs = 0;
  let lateAt = 0;
  for (const [k, arrival] of arrivalsMs.entries()) {
    const late = arrival - (grantsUs[k] as number) / 1000;
    if (late > lateMs) [lateMs, lateAt] = [late, arrival];
  }
  return { lateMs, lateAt };
}

export function busiestWindowStart(arrivalsMs: readonly number[]): number {
  let best = 0;
  let at = arrivalsMs[0] ?? 0;
  let start = 0;
  for (let end = 0; end < arrivalsMs.length; end += 1) {
    while ((arrivalsMs[end] as number) - (arrivalsMs[start] as number) >= 1000) start += 1;
    if (end - start + 1 > best) [best, at] = [end - start + 1, arrivalsMs[start] as number];
  }
  return at;
}

/** Where an account's busiest second at its simulator came from: late arrivals, and this process' stalls. */
export function rateNote(
  each: readonly AccountFigures[],
  startedAt: number,
  stalls: IntervalHistogram,
): string {
  const s = (ms: number) => `${((ms - startedAt) / 1000).toFixed(1)} s`;
  const over = each.filter((e) => e.seenPerSecond > e.allowedPerSecond);
  const latest = each.reduce((x, y) => (y.lateMs > x.lateMs ? y : x));
  const lates = each.map((e) => e.lateMs).sort((x, y) => x - y);
  return (
    `10 (A, request rates): grants never exceeded a budget (audit: most in 1 s ${Math.max(...each.map((e) => e.grantedPerSecond))}); ` +
    `requests reached their simulator after their grant by at most a median ${Math.round(lates[Math.floor(lates.length / 2)] ?? 0)} ms ` +
    `per account, ${Math.round(latest.lateMs)} ms at worst (${latest.account}, at ${s(latest.lateAt)}). ` +
    `${over.length} account(s) saw more than their budget at the simulator` +
    `${over.length > 0 ? `: ${over.map((e) => `${e.account} ${e.seenPerSecond} from ${s(e.busiestAt)} (latest arrival ${Math.round(e.lateMs)} ms after its grant, at ${s(e.lateAt)})`).join('; ')}` : ''}. ` +
    `This process (the simulators) stalled up to ${(stalls.max / 1e6).toFixed(0)} ms (event-loop delay; p99 ` +
    `${(stalls.percentile(99) / 1e6).toFixed(0)} ms), load average ${loadavg()[0]?.toFixed(1)} at the end.`
  );
}
