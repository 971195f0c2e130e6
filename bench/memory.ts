/**
 * Measurement 4: the worker process's peak RSS (VmHWM) for a full sync of an account, and of one
 * ten times larger, each in a fresh worker process and a fresh database. The walk streams per
 * location, so the larger account should cost little more than the process's own baseline.
 */

import type { ShapeOptions } from '../src/simulator/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, fmt } from './figures.js';
import { createSyncHarness } from './sync-harness.js';

export const MEMORY_RATIO_TARGET = 1.5;

interface Peak {
  locations: number;
  idleKb: number | undefined;
  peakKb: number | undefined;
  wallMs: number;
  status: string;
}

export async function measureMemory(ctx: BenchContext): Promise<BenchSection> {
  const { small, large, budget } = ctx.sizes.memory;
  const a = await peakOf(ctx, small, 'memory_small');
  const b = await peakOf(ctx, large, 'memory_large');
  const ratio = a.peakKb && b.peakKb ? b.peakKb / a.peakKb : Number.NaN;
  return {
    figures: [
      {
        measurement: '4 memory',
        what: `worker peak RSS, ${b.locations} vs ${a.locations} locations (${fmt.mb(b.peakKb)} vs ${fmt.mb(a.peakKb)})`,
        value: Number.isNaN(ratio) ? 'n/a' : fmt.ratio(ratio),
        target: `< ${MEMORY_RATIO_TARGET}`,
        pass: ratio < MEMORY_RATIO_TARGET && a.status === 'succeeded' && b.status === 'succeeded',
      },
    ],
    notes: [
      `4: peak RSS = VmHWM of the worker process (node --import tsx src/main.ts worker) after its full sync; ` +
        `RSS when started ${fmt.mb(a.idleKb)} / ${fmt.mb(b.idleKb)}; syncs took ${fmt.ms(a.wallMs)} / ${fmt.ms(b.wallMs)} ` +
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
  });
  try {
    const [worker] = await harness.startWorkers(1);
    if (!worker) throw new Error('no worker');
    ctx.log(`4: memory, full sync of ${sim.data.locations.size} locations`);
    const sync = await harness.runFullSync();
    const peakKb = worker.peakRssKb();
    await harness.stopWorkers();
    return {
      locations: sim.data.locations.size,
      idleKb: worker.idleRssKb,
      peakKb,
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
