/**
 * Measurement 4: the worker's resident memory, started each way the documentation gives
 * (bench/worker-process.ts: `npm start`, `npx timetap-sync worker`, `node dist/main.js worker`,
 * the image's command), side by side: each in a fresh worker process and database, its RSS idle
 * before any job (the larger of two workers' started that way: glibc's arenas make one process
 * differ from the next) and its peak (VmHWM) during a full sync of the account. Then the account ten
 * times larger through `npm start`: the walk streams per location, so the larger account should
 * cost little more than the process's own baseline. dist/ is built first when it is stale.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { ShapeOptions } from '../src/simulator/index.js';
import { startSimulator } from '../src/simulator/index.js';
import { type BenchContext, type BenchSection, type Figure, fmt } from './figures.js';
import { createSyncHarness } from './sync-harness.js';
import { documentedLaunches, ensureBuilt, type WorkerLaunch } from './worker-process.js';

export const MEMORY_RATIO_TARGET = 1.3;
export const IDLE_RSS_TARGET_MB = 120;
/**
 * How long the worker idles before its RSS is read: the first seconds after start still move it
 * (background compilation finishing, the first garbage collections), an idle worker stays there.
 */
const IDLE_AFTER_MS = 5_000;

interface Peak {
  launch: WorkerLaunch;
  locations: number;
  /** RSS when the worker said it was started, and after IDLE_AFTER_MS more. */
  startedKb: number | undefined;
  idleKb: number | undefined;
  /** The same, of a second worker started the same way, which then stops without a job. */
  againKb: number | undefined;
  /** What the rest of the launch (npm, sh) holds beside the worker, at the idle reading. */
  launcherKb: number | undefined;
  peakKb: number | undefined;
  /** RSS once the sync is over: what an idle worker holds after its first sync. */
  afterKb: number | undefined;
  wallMs: number;
  status: string;
}

export async function measureMemory(ctx: BenchContext): Promise<BenchSection> {
  const { small, large, budget } = ctx.sizes.memory;
  ensureBuilt(ctx.log);
  const ways: Peak[] = [];
  // --smoke only proves that each way runs: one worker each.
  const again = ctx.sizes.name !== 'smoke';
  for (const launch of documentedLaunches())
    ways.push(await peakOf(ctx, small, launch, `memory_${ways.length}`, { again }));
  const first = ways[0] as Peak;
  const larger = await peakOf(ctx, large, first.launch, 'memory_large', { again: false });
  const ratio = first.peakKb && larger.peakKb ? larger.peakKb / first.peakKb : Number.NaN;
  return {
    figures: [
      ...ways.map(idleFigure),
      {
        measurement: '4 memory',
        what: `worker peak RSS in a full sync of ${first.locations} locations: ${ways.map((w) => w.launch.name).join(' / ')}`,
        value: ways.map((w) => fmt.mb(w.peakKb)).join(' / '),
        target: '',
        pass: undefined,
      },
      {
        measurement: '4 memory',
        what: `worker peak RSS, ${larger.locations} vs ${first.locations} locations, ${first.launch.name} (${fmt.mb(larger.peakKb)} vs ${fmt.mb(first.peakKb)})`,
        value: Number.isNaN(ratio) ? 'n/a' : fmt.ratio(ratio),
        target: `<= ${MEMORY_RATIO_TARGET}`,
        pass: ratio <= MEMORY_RATIO_TARGET && first.status === 'succeeded' && larger.status === 'succeeded',
      },
    ],
    notes: [
      `4: each way in a fresh worker process and database, one after another; the worker's own process is measured ` +
        `(VmRSS, VmHWM), the launch's other processes (npm, sh) apart; the image's command runs on this machine's node. ` +
        `Full syncs under TIMETAP_MAX_RPS=${budget.maxRps}, TIMETAP_MAX_CONCURRENCY=${budget.maxConcurrency}; ` +
        `accounts: ${describe(small)} and ${describe(large)}.`,
      ...[...ways, larger].map(
        (w) =>
          `4 (${w.launch.name}, ${w.locations} locations): ${commandOf(w.launch)}; RSS when started ${fmt.mb(w.startedKb)}, ` +
          `${IDLE_AFTER_MS / 1000} s later ${fmt.mb(w.idleKb)} (beside it: ${fmt.mb(w.launcherKb)}${w.againKb ? `; a second worker: ${fmt.mb(w.againKb)}` : ''}), peak ${fmt.mb(w.peakKb)}, ` +
          `once the sync was over ${fmt.mb(w.afterKb)}; the sync took ${fmt.ms(w.wallMs)} (run ${w.status}).`,
      ),
    ],
  };
}

/** Idle RSS against the goal: the larger of the two workers', so that one lucky reading does not pass. */
function idleFigure(way: Peak): Figure {
  const idleKb = way.idleKb === undefined ? undefined : Math.max(way.idleKb, way.againKb ?? 0);
  const besides = way.launcherKb ? `; beside it ${fmt.mb(way.launcherKb)} of npm and sh` : '';
  return {
    measurement: '4 memory',
    what: `idle worker RSS, ${IDLE_AFTER_MS / 1000} s after start, before any job: ${way.launch.name}${besides}`,
    value: fmt.mb(idleKb),
    target: `<= ${IDLE_RSS_TARGET_MB} MB`,
    pass: idleKb !== undefined && idleKb <= IDLE_RSS_TARGET_MB * 1024,
  };
}

async function peakOf(
  ctx: BenchContext,
  shape: ShapeOptions,
  launch: WorkerLaunch,
  label: string,
  { again = true } = {},
): Promise<Peak> {
  const sim = await startSimulator({ ...shape, latencyMs: ctx.sizes.latencyMs });
  const databaseUrl = await ctx.databases.create(label);
  const harness = await createSyncHarness({
    sim,
    databaseUrl,
    redisUrl: ctx.redisUrl,
    budget: ctx.sizes.memory.budget,
    launch,
  });
  try {
    const [worker] = await harness.startWorkers(1);
    if (!worker) throw new Error('no worker');
    await sleep(IDLE_AFTER_MS);
    const idleKb = worker.rssKb();
    const launcherKb = worker.launcherRssKb();
    ctx.log(`4: memory, ${launch.name}, full sync of ${sim.data.locations.size} locations`);
    const sync = await harness.runFullSync();
    const peakKb = worker.peakRssKb();
    const afterKb = worker.rssKb();
    await harness.stopWorkers();
    let againKb: number | undefined;
    if (again) {
      const [second] = await harness.startWorkers(1);
      await sleep(IDLE_AFTER_MS);
      againKb = second?.rssKb();
      await harness.stopWorkers();
    }
    return {
      launch,
      locations: sim.data.locations.size,
      startedKb: worker.idleRssKb,
      idleKb,
      againKb,
      launcherKb,
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

/** The command line a launch spawns, with the environment it sets itself, and what that runs. */
function commandOf(launch: WorkerLaunch): string {
  const env = Object.entries(launch.env).map(([name, value]) => `${name}=${value}`);
  const command = [
    ...env,
    launch.command === process.execPath ? 'node' : launch.command,
    ...launch.args,
  ].join(' ');
  return launch.runs ? `${command}, which runs ${launch.runs}` : command;
}

export function describe(shape: ShapeOptions): string {
  return `${shape.locations} locations / ${shape.staff} staff / ${shape.services} services`;
}
