/**
 * Measurement 3: the project's write path against what most people would write (a loop of
 * Prisma `upsert` calls) and against what Postgres can do at best (`COPY` into unlogged tables
 * without indexes), on the same data: a first load, then the same again with 10% changed. Each
 * method writes into its own database, so none warms or bloats another's tables.
 *
 * The project's path is what a full sync does: upsert the staff and services, both lists at once
 * (one statement per 5,000 rows, unchanged rows filtered out; a batch of 500 rows or more COPYed
 * into a temporary table first), then per location record the links seen and tombstone the ones no longer seen,
 * as many locations at once as a sync walks by default (SYNC_LOCATION_CONCURRENCY). The Prisma loop costs one round trip per row, so it runs on
 * a sample of the same mix (1 entity : 10 links) and its rate is extrapolated. Times include
 * turning the rows into what each method sends (JSON, hashes, COPY text), not connecting: every
 * method is connected before it is timed. The project and COPY each run ROUNDS times per pass, and
 * their medians are compared. For context, the same COPY also goes into a mirror's own tables
 * (logged, indexed): the least that writing the mirror itself costs, by any method.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pino } from 'pino';
import { DEFAULT_ACCOUNT } from '../src/account.js';
import { DEFAULT_LOCATION_CONCURRENCY } from '../src/config.js';
import { contentHash } from '../src/db/content-hash.js';
import { createDatabase, type Database, type Db } from '../src/db/database.js';
import { recordLocationLinks, tombstoneLocationLinks, upsertServices, upsertStaff } from '../src/db/index.js';
import { mapSettled } from '../src/sync/concurrency.js';
import { type BenchContext, type BenchSection, type Figure, fmt } from './figures.js';
import { buildWriteData, type WriteData } from './write-data.js';

export const PRISMA_RATIO_TARGET = 30;
export const COPY_RATIO_TARGET = 3;

/** Runs of the project and of COPY per pass; the median of each is compared. */
const ROUNDS = 3;

interface PassRates {
  project: number;
  prisma: number;
  copy: number;
  projectMs: number;
}

export async function measureWritePath(ctx: BenchContext): Promise<BenchSection> {
  const { entities, links, prismaSample } = ctx.sizes.writes;
  const passes = [
    { label: 'first load', data: buildWriteData(entities, links, false) },
    { label: '10% changed', data: buildWriteData(entities, links, true) },
  ];
  const urls = {
    project: await ctx.databases.create('write_project'),
    prisma: await ctx.databases.create('write_prisma'),
    copy: await ctx.databases.create('write_copy'),
    copyMirror: await ctx.databases.create('write_copy_mirror'),
  };
  const project = openBenchDatabase(urls.project);
  const prisma = openBenchDatabase(urls.prisma);
  const copy = new pg.Client({ connectionString: urls.copy });
  await copy.connect();
  // Context, not judged: COPY into the mirror's own tables (logged, with their indexes and keys),
  // which is what any method that writes the mirror pays at least.
  const copyMirror = new pg.Client({ connectionString: urls.copyMirror });
  await copyMirror.connect();
  // Every method starts connected, as COPY's client is: the first query of a Prisma client opens
  // its pool's first connection, and the first in the process also loads Prisma's query engine
  // (0.2-0.7 s here), once per worker process rather than per write.
  await project.prisma.$queryRaw`SELECT 1`;
  await prisma.prisma.$queryRaw`SELECT 1`;
  const figures: Figure[] = [];
  const notes: string[] = [];
  try {
    await createCopyTables(copy);
    const times = passes.map(() => ({
      project: [] as number[],
      copy: [] as number[],
      mirror: [] as number[],
    }));
    const prismaMs: number[] = [];
    const samples = passes.map(({ data }) => sampleOf(data, prismaSample));
    // Each method runs ROUNDS times on every pass and its median counts: one run of each, one
    // after the other, measured whatever the machine did meanwhile (an autovacuum of an earlier
    // section's tables, a checkpoint) against whichever method ran then. The order of project and
    // COPY alternates between rounds. The Prisma loop runs once: its ratio is far from its target.
    for (let round = 0; round < ROUNDS; round += 1) {
      if (round > 0) await emptyMirror(project.prisma);
      for (const [i, { label, data }] of passes.entries()) {
        ctx.log(
          `3: write path, round ${round + 1} of ${ROUNDS}, ${label}: ${fmt.int(data.entityRows)} entities + ${fmt.int(data.linkRows)} links`,
        );
        const measured = times[i] as (typeof times)[number];
        const runProject = async () =>
          measured.project.push(await timed(() => writeWithProject(project.prisma, data)));
        const runCopy = async () => {
          measured.copy.push(await timed(() => writeWithCopy(copy, data, 'copy_')));
          measured.mirror.push(await timed(() => writeWithCopy(copyMirror, data, '')));
        };
        if (round % 2 === 0) {
          await runProject();
          await runCopy();
        } else {
          await runCopy();
          await runProject();
        }
        if (round === 0)
          prismaMs.push(await timed(() => writeWithPrismaLoop(prisma.prisma, samples[i] as Sample)));
      }
    }
    for (const [i, { label, data }] of passes.entries()) {
      const rows = data.entityRows + data.linkRows;
      const measured = times[i] as (typeof times)[number];
      const sample = samples[i] as Sample;
      const projectMs = median(measured.project);
      const copyMs = median(measured.copy);
      const mirrorMs = median(measured.mirror);
      const rates: PassRates = {
        project: rows / (projectMs / 1000),
        prisma: sample.rows / ((prismaMs[i] ?? 0) / 1000),
        copy: rows / (copyMs / 1000),
        projectMs,
      };
      figures.push(...passFigures(label, rates));
      const all = (list: number[]) => list.map((ms) => fmt.ms(ms)).join(', ');
      notes.push(
        `3 (${label}): project ${fmt.int(rows)} rows in ${fmt.ms(projectMs)} (median of ${all(measured.project)}); ` +
          `Prisma loop ${fmt.int(sample.rows)} sample rows (${sample.entities} entities + ${sample.rows - sample.entities} links) in ${fmt.ms(prismaMs[i] ?? 0)}; ` +
          `COPY ${fmt.int(rows)} rows in ${fmt.ms(copyMs)} (median of ${all(measured.copy)}); ` +
          `COPY into the mirror's own tables ${fmt.ms(mirrorMs)} (${fmt.ratio(mirrorMs / copyMs)} COPY's time).`,
      );
    }
    notes.unshift(
      `3: ${fmt.int(entities)} entities (half staff, half services) and ${fmt.int(links)} links (per location 50 staff, 50 services, ` +
        `18 services per staff member); "10% changed": 10% of the entities' content altered and 10-11% of each location's links replaced. ` +
        `The project writes as a full sync does: staff and services at once, then ${DEFAULT_LOCATION_CONCURRENCY} locations at a time ` +
        "(SYNC_LOCATION_CONCURRENCY's default), on a pool of 4 connections. " +
        'COPY loads every row into UNLOGGED tables shaped like the mirror, without indexes (TRUNCATEd before each pass), on one connection. ' +
        `Each method is connected before it is timed; the project and COPY run ${ROUNDS} times per pass (their order alternating, ` +
        "the project's tables emptied before each first load) and their medians count. For context, not judged: the same COPY into the mirror's own tables " +
        '(logged, indexed, TRUNCATEd before each pass).',
    );
    return { figures, notes };
  } finally {
    await project.close();
    await prisma.close();
    await copy.end();
    await copyMirror.end();
  }
}

function passFigures(label: string, r: PassRates): Figure[] {
  const vsPrisma = r.project / r.prisma;
  const vsCopy = r.copy / r.project;
  return [
    {
      measurement: '3 write path',
      what: `${label}: rows/s project / Prisma upsert loop / COPY`,
      value: `${fmt.int(r.project)} / ${fmt.int(r.prisma)} / ${fmt.int(r.copy)}`,
      target: '',
      pass: undefined,
    },
    prismaRatioFigure('3 write path', label, vsPrisma),
    {
      measurement: '3 write path',
      what: `${label}: COPY rows/s over the project's`,
      value: fmt.ratio(vsCopy),
      target: `<= ${COPY_RATIO_TARGET}x`,
      pass: vsCopy <= COPY_RATIO_TARGET,
    },
  ];
}

/** The judged row: the project's rows/s over the Prisma upsert loop's, on the same rows. */
export function prismaRatioFigure(measurement: string, label: string, ratio: number): Figure {
  return {
    measurement,
    what: `${label}: project rows/s over the Prisma upsert loop's`,
    value: fmt.ratio(ratio),
    target: `>= ${PRISMA_RATIO_TARGET}x`,
    pass: ratio >= PRISMA_RATIO_TARGET,
  };
}

/** A database of the project's own (Prisma over its pg pool), as the worker opens it. */
export function openBenchDatabase(url: string): Database {
  return createDatabase(
    { url, poolSize: 4, connectTimeoutMs: 10_000, statementTimeoutMs: 300_000 },
    pino({ level: 'silent' }),
  );
}

export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** A sync's writes carry its run's id for the change feed (db/run-id.ts), which costs its own. */
const RUN = { account: DEFAULT_ACCOUNT, runId: 1 };

async function writeWithProject(db: Db, data: WriteData): Promise<void> {
  // The account walk upserts its two lists at once (sync/account-walk.ts).
  await Promise.all([upsertStaff(db, data.staff, RUN), upsertServices(db, data.services, RUN)]);
  const guard = { ratio: 0.5, allowMassDelete: false };
  const results = await mapSettled(data.locations, DEFAULT_LOCATION_CONCURRENCY, async (location) => {
    const links = await recordLocationLinks(db, location.locationId, location, RUN);
    await tombstoneLocationLinks(db, location.locationId, location, guard, links.state, RUN);
  });
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

interface Sample {
  staff: WriteData['staff'];
  services: WriteData['services'];
  locationStaff: Array<[number, number]>;
  locationServices: Array<[number, number]>;
  staffServices: Array<[number, number, number]>;
  entities: number;
  rows: number;
}

/** `size` rows in the data set's own mix: one entity for every ten links, links in location order. */
function sampleOf(data: WriteData, size: number): Sample {
  const entities = Math.max(2, Math.round(size / 11));
  const staff = data.staff.slice(0, Math.ceil(entities / 2));
  const services = data.services.slice(0, Math.floor(entities / 2));
  const sample: Sample = {
    staff,
    services,
    locationStaff: [],
    locationServices: [],
    staffServices: [],
    entities,
    rows: 0,
  };
  let budget = size - entities;
  for (const l of data.locations) {
    for (const id of l.staffIds) if (budget-- > 0) sample.locationStaff.push([l.locationId, id]);
    for (const id of l.serviceIds) if (budget-- > 0) sample.locationServices.push([l.locationId, id]);
    for (const [s, v] of l.staffServices) if (budget-- > 0) sample.staffServices.push([l.locationId, s, v]);
    if (budget <= 0) break;
  }
  sample.rows =
    entities + sample.locationStaff.length + sample.locationServices.length + sample.staffServices.length;
  return sample;
}

/** What most people would write: one `upsert` per row, awaited in turn. */
async function writeWithPrismaLoop(db: Db, s: Sample): Promise<void> {
  for (const row of s.staff) {
    const fields = {
      businessId: row.businessId ?? null,
      userName: row.userName ?? null,
      email: row.email ?? null,
      firstName: row.firstName ?? null,
      lastName: row.lastName ?? null,
      fullName: row.fullName ?? null,
      timeZone: row.timeZone ?? null,
      raw: row.raw as object,
      contentHash: contentHash(row.raw),
    };
    await db.staff.upsert({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: row.id } },
      create: { account: DEFAULT_ACCOUNT, id: row.id, ...fields },
      update: fields,
    });
  }
  for (const row of s.services) {
    const fields = {
      businessId: row.businessId ?? null,
      name: row.name ?? null,
      durationMinutes: row.durationMinutes ?? null,
      serviceType: row.serviceType ?? null,
      raw: row.raw as object,
      contentHash: contentHash(row.raw),
    };
    await db.service.upsert({
      where: { account_id: { account: DEFAULT_ACCOUNT, id: row.id } },
      create: { account: DEFAULT_ACCOUNT, id: row.id, ...fields },
      update: fields,
    });
  }
  for (const [locationId, staffId] of s.locationStaff) {
    await db.locationStaff.upsert({
      where: { account_locationId_staffId: { account: DEFAULT_ACCOUNT, locationId, staffId } },
      create: { account: DEFAULT_ACCOUNT, locationId, staffId },
      update: { deletedAt: null },
    });
  }
  for (const [locationId, serviceId] of s.locationServices) {
    await db.locationService.upsert({
      where: { account_locationId_serviceId: { account: DEFAULT_ACCOUNT, locationId, serviceId } },
      create: { account: DEFAULT_ACCOUNT, locationId, serviceId },
      update: { deletedAt: null },
    });
  }
  for (const [locationId, staffId, serviceId] of s.staffServices) {
    await db.staffService.upsert({
      where: {
        account_locationId_staffId_serviceId: { account: DEFAULT_ACCOUNT, locationId, staffId, serviceId },
      },
      create: { account: DEFAULT_ACCOUNT, locationId, staffId, serviceId },
      update: { deletedAt: null },
    });
  }
}

const COPY_TABLES = ['staff', 'services', 'location_staff', 'location_services', 'staff_services'] as const;

/** The project's mirror tables emptied for the next round's first load, as a fresh database's. */
async function emptyMirror(db: Db): Promise<void> {
  await db.$executeRawUnsafe(`TRUNCATE ${COPY_TABLES.join(', ')}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function createCopyTables(client: pg.Client): Promise<void> {
  for (const table of COPY_TABLES) {
    await client.query(`CREATE UNLOGGED TABLE copy_${table} (LIKE ${table} INCLUDING DEFAULTS)`);
  }
}

/** Postgres at its best: every row streamed with COPY into unlogged tables without indexes. */
/** `prefix`: `copy_` for the unlogged tables without indexes, empty for the mirror's own. */
async function writeWithCopy(client: pg.Client, data: WriteData, prefix: string): Promise<void> {
  await client.query(`TRUNCATE ${COPY_TABLES.map((t) => `${prefix}${t}`).join(', ')}`);
  const staff = data.staff.map((r) =>
    line([
      r.id,
      r.businessId,
      r.userName,
      r.email,
      r.firstName,
      r.lastName,
      r.fullName,
      r.timeZone,
      JSON.stringify(r.raw),
      contentHash(r.raw),
    ]),
  );
  await copyRows(
    client,
    `${prefix}staff (id, business_id, user_name, email, first_name, last_name, full_name, time_zone, raw, content_hash)`,
    staff,
  );
  const services = data.services.map((r) =>
    line([
      r.id,
      r.businessId,
      r.name,
      r.durationMinutes,
      r.serviceType,
      JSON.stringify(r.raw),
      contentHash(r.raw),
    ]),
  );
  await copyRows(
    client,
    `${prefix}services (id, business_id, name, duration_minutes, service_type, raw, content_hash)`,
    services,
  );
  const ls: string[] = [];
  const lsv: string[] = [];
  const ss: string[] = [];
  for (const l of data.locations) {
    for (const id of l.staffIds) ls.push(line([l.locationId, id]));
    for (const id of l.serviceIds) lsv.push(line([l.locationId, id]));
    for (const [s, v] of l.staffServices) ss.push(line([l.locationId, s, v]));
  }
  await copyRows(client, `${prefix}location_staff (location_id, staff_id)`, ls);
  await copyRows(client, `${prefix}location_services (location_id, service_id)`, lsv);
  await copyRows(client, `${prefix}staff_services (location_id, staff_id, service_id)`, ss);
}

async function copyRows(client: pg.Client, target: string, lines: string[]): Promise<void> {
  const chunks: string[] = [];
  for (let i = 0; i < lines.length; i += 1000) chunks.push(lines.slice(i, i + 1000).join(''));
  await pipeline(Readable.from(chunks), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
}

/** One row in COPY's text format. */
function line(values: ReadonlyArray<string | number | undefined>): string {
  return `${values.map((v) => (v === undefined ? '\\N' : typeof v === 'number' ? String(v) : escapeCopy(v))).join('\t')}\n`;
}

function escapeCopy(value: string): string {
  return value.replace(/[\\\n\r\t]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t',
  );
}
