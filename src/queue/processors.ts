/**
 * The worker's processors, one per job name, typed by the job map (jobs.ts): a job's data and
 * result are those of its name, and a name without a processor does not compile.
 */
import type { Job } from 'bullmq';
import { processAppointmentEvent } from './appointment-event-job.js';
import { JOB, type JobData, type JobName, type JobResult } from './jobs.js';
import { processLocationSync } from './location-job.js';
import type { ProcessorDeps } from './processor-deps.js';
import { processBackfill, processFullSync } from './run-job.js';
import { processStep } from './step-job.js';

type Processors = {
  [N in JobName]: (
    job: Job<JobData<N>>,
    token: string | undefined,
    deps: ProcessorDeps,
  ) => Promise<JobResult<N>>;
};

const PROCESSORS: Processors = {
  [JOB.fullSync]: processFullSync,
  [JOB.locationWalk]: (job, _token, deps) => processStep(job, deps),
  [JOB.clientWalk]: (job, _token, deps) => processStep(job, deps),
  [JOB.appointmentChunk]: (job, _token, deps) => processStep(job, deps),
  [JOB.locationSync]: (job, _token, deps) => processLocationSync(job, deps),
  [JOB.backfill]: processBackfill,
  [JOB.appointmentEvent]: (job, _token, deps) => processAppointmentEvent(job, deps),
};

function isJobName(name: string): name is JobName {
  return Object.hasOwn(PROCESSORS, name);
}

/** Runs the processor of the job's name; a job of a name this version does not know fails. */
export function processJob(job: Job, token: string | undefined, deps: ProcessorDeps): Promise<unknown> {
  const { name } = job;
  if (!isJobName(name)) return Promise.reject(new Error(`unknown job name ${name}`));
  // The map pairs each name with its processor; TypeScript cannot follow the name through a union.
  const processor = PROCESSORS[name] as (
    job: Job,
    token: string | undefined,
    deps: ProcessorDeps,
  ) => Promise<unknown>;
  return processor(job, token, deps);
}
