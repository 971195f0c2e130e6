/**
 * Measurement 4: the worker process's peak RSS (VmHWM) for a full sync of an account, and of one
 * ten times larger, each in a fresh worker process and a fresh database. The walk streams per
 * location, so the larger account should cost little more than the process's own baseline. Also
 * the RSS of the idle worker, before its first job. Both on the built worker as `npm start` runs
 * it (worker-process.ts), dist/ built first when it is stale.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { ShapeOptions } from '../src/simulator/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import { createSyncHarness } from './sync-harness.js';
import { ensureBuilt, startCommand } from './worker-process.js';

export const MEMORY_RATIO_TARGET = 1.3;
export const IDLE_RSS_TARGET_MB = 120;
/**
 * How long the worker idles before its RSS is read: the first seconds after start still move it
 * (background compilation finishing, the first garbage collections), an idle worker stays there.
 */
const IDLE_AFTER_MS = 5_000;

interface Peak {
  locations: number;
  /** RSS when the worker said it was started, and after IDLE_AFTER_MS more. */
  startedKb: number | undefined;
  idleKb: number | undefined;
  peakKb: number | undefined;
  /** RSS once the sync is over: what an idle worker holds after its first sync. */
  afterKb: number | undefined;
  wallMs: number;
  status: string;
}

export async function measureMemory(ctx: BenchContext): Promise<BenchSection> {
  const { small, large, budget } = ctx.sizes.memory;
  ensureBuilt(ctx.log);
  const a = await peakOf(ctx, small, 'memory_small');
  const b = await peakOf(ctx, large, 'memory_large');
  const ratio = a.peakKb && b.peakKb ? b.peakKb / a.peakKb : Number.NaN;
  // Two idle workers before any job: the larger of the two, so one lucky reading does not pass.
  const idleKb = a.idleKb && b.idleKb ? Math.max(a.idleKb, b.idleKb) : undefined;
  return {
    figures: [
      {
        measurement: '4 memory',
        what: `idle worker RSS, ${IDLE_AFTER_MS / 1000} s after start, before any job`,
        value: fmt.mb(idleKb),
        target: `<= ${IDLE_RSS_TARGET_MB} MB`,
        pass: idleKb !== undefined && idleKb <= IDLE_RSS_TARGET_MB * 1024,
      },
      {
        measurement: '4 memory',
        what: `worker peak RSS, ${b.locations} vs ${a.locations} locations (${fmt.mb(b.peakKb)} vs ${fmt.mb(a.peakKb)})`,
        value: Number.isNaN(ratio) ? 'n/a' : fmt.ratio(ratio),
        target: `<= ${MEMORY_RATIO_TARGET}`,
        pass: ratio <= MEMORY_RATIO_TARGET && a.status === 'succeeded' && b.status === 'succeeded',
      },
    ],
    notes: [
      `4: peak RSS = VmHWM of the worker process (npm start: ${startCommand().text}) after its full sync; ` +
        `RSS when started ${fmt.mb(a.startedKb)} / ${fmt.mb(b.startedKb)}, ${IDLE_AFTER_MS / 1000} s later ${fmt.mb(a.idleKb)} / ${fmt.mb(b.idleKb)}, once the sync was over ${fmt.mb(a.afterKb)} / ${fmt.mb(b.afterKb)}; syncs took ${fmt.ms(a.wallMs)} / ${fmt.ms(b.wallMs)} ` +
        `under TIMETAP_MAX_RPS=${budget.maxRps}, TIMETAP_MAX_CONCURRENCY=${budget.maxConcurrency}; ` +
        `accounts: ${describe(small)} and ${describe(large)}.`,
    ],
  };
}

async function peakOf(ctx: BenchContext, shape: ShapeOptions, label: string): Promise<Peak> {
  const sim = await startSimulator({ ...shape, latencyMs: ctx.sizes.latencyMs });
  const databaseUrl = await ctx.databases.create(label);
  const harness = await createSyncHarness({
    sim,
    databaseUrl,
    redisUrl: ctx.redisUrl,
    budget: ctx.sizes.memory.budget,
    workerEntry: 'built',
  });
  try {
    const [worker] = await harness.startWorkers(1);
    if (!worker) throw new Error('no worker');
    await sleep(IDLE_AFTER_MS);
    const idleKb = worker.rssKb();
    ctx.log(`4: memory, full sync of ${sim.data.locations.size} locations`);
    const sync = await harness.runFullSync();
    const peakKb = worker.peakRssKb();
    const afterKb = worker.rssKb();
    await harness.stopWorkers();
    return {
      locations: sim.data.locations.size,
      startedKb: worker.idleRssKb,
      idleKb,
      peakKb,
      afterKb,
      wallMs: sync.wallMs,
      status: sync.status,
    };
  } finally {
    await harness.close();
    await sim.close();
  }
}

export function describe(shape: ShapeOptions): string {
  return `${shape.locations} locations / ${shape.staff} staff / ${shape.services} services`;
}
