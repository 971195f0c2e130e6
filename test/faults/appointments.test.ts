/**
 * Scenarios 20 to 23: the appointments and clients under faults, through real worker processes.
 * Pages that shift while a chunk is walked, a worker killed in the middle of a backfill, one chunk
 * of the window that keeps failing, and a mirror switched to a stricter client-data policy. The
 * windows are small (a few chunks), so that each scenario takes seconds.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { addDays, dateChunks, today } from '../../src/dates.js';
import { enqueueBackfill } from '../../src/queue/enqueue.js';
import type { BackfillResult } from '../../src/queue/jobs.js';
import type { CallRecord } from '../../src/simulator/index.js';
import { rowVersions } from '../helpers/mirror.js';
import { eventually, type FaultEnv, RETRY } from './helpers/fault-env.js';
import { expectConvergedWithoutLeaks, useFaultEnv } from './helpers/scenario.js';
import { secretLeaks } from './helpers/secrets.js';

const faultEnv = useFaultEnv();

type Result = { status: string; reasons: string[]; runId: number };
type Range = { startDate: string; endDate: string };
type Row = { status: string | null; start_date: string | null; deleted: boolean };
type ChunkRead = Range & { pages: number; records: number; reads: number; complete: boolean };

const TODAY = today();
/** The rolling window: TODAY-6..TODAY+6, in chunks of 4 days (4, 4, 4 and 1). */
const WINDOW_ENV = {
  APPOINTMENTS_PAST_DAYS: '6',
  APPOINTMENTS_FUTURE_DAYS: '6',
  APPOINTMENTS_CHUNK_DAYS: '4',
};
const WINDOW: Range = { startDate: addDays(TODAY, -6), endDate: addDays(TODAY, 6) };

const isReport = (c: CallRecord) => c.path.startsWith('/appointmentList/');
const inRange = (date: string | null, range: Range) =>
  date !== null && date >= range.startDate && date <= range.endDate;

/** Every appointment row of the mirror: id -> status, start date, tombstoned or not. */
async function mirrored(env: FaultEnv): Promise<Map<number, Row>> {
  const rows = await env.database.db.$queryRaw<Array<{ id: bigint } & Row>>`
    SELECT id, status, start_date, deleted_at IS NOT NULL AS deleted FROM appointments`;
  return new Map(rows.map(({ id, ...row }) => [Number(id), row]));
}

/**
 * The appointments compared row by row with the simulator's truth: every appointment of `range`
 * mirrored alive with its status and start date; every mirrored row alive and equal when TimeTap
 * has it, tombstoned when it does not. Rows dated within `except` (and its appointments) are left
 * out. Returns the differences, one line each.
 */
async function appointmentMismatches(env: FaultEnv, range: Range, except?: Range): Promise<string[]> {
  const rows = await mirrored(env);
  const truth = env.sim.data.appointments;
  const out: string[] = [];
  for (const a of env.sim.data.findAppointments({ from: range.startDate, to: range.endDate })) {
    if (except && inRange(a.startDate, except)) continue;
    if (!rows.has(a.calendarId)) out.push(`${a.calendarId}: missing from the mirror`);
  }
  for (const [id, row] of rows) {
    if (except && inRange(row.start_date, except)) continue;
    const a = truth.get(id);
    if (!a) {
      if (!row.deleted) out.push(`${id}: gone from TimeTap, alive in the mirror`);
      continue;
    }
    const want: Row = { status: a.status, start_date: a.startDate, deleted: false };
    if (JSON.stringify(row) !== JSON.stringify(want))
      out.push(`${id}: mirrored ${JSON.stringify(row)}, TimeTap ${JSON.stringify(want)}`);
  }
  return out;
}

async function chunkReads(env: FaultEnv, runId: number): Promise<ChunkRead[]> {
  const [run] = await env.database.db.$queryRaw<Array<{ chunks: ChunkRead[] | null }>>`
    SELECT stats->'appointment_chunks' AS chunks FROM sync_runs WHERE id = ${runId}`;
  return run?.chunks ?? [];
}

it('20: pages shifting during a walk: no appointment lost, none falsely tombstoned; a calm sync converges row by row', async () => {
  const env = await faultEnv({ sim: { locations: 3 }, env: { ...WINDOW_ENV, APPOINTMENTS_PAGE_SIZE: '5' } });
  const { sim } = env;
  await env.startWorker();
  const calm = (await env.waitForJob(await env.resync())) as Result;
  expect(calm.status, calm.reasons.join('\n')).toBe('succeeded');
  expect(await appointmentMismatches(env, WINDOW)).toEqual([]);
  const known = await mirrored(env);
  expect(known.size).toBeGreaterThan(100);
  const existedBefore = new Set(sim.data.appointments.keys());

  // After every 2nd report page one appointment is cancelled, every 3rd one deleted (the range's
  // first: the next page skips one), every 4th one booked (before all others: the next page
  // repeats one), always inside the range being read, while the chunks are walked side by side.
  sim.setPageChurn({ bookEvery: 4, cancelEvery: 2, deleteEvery: 3 });
  const churned = (await env.waitForJob(await env.resync())) as Result;
  sim.setPageChurn(undefined);

  const events = sim.churnEvents();
  expect(new Set(events.map((e) => e.action))).toEqual(new Set(['book', 'cancel', 'delete']));
  const deletedByChurn = events.filter((e) => e.action === 'delete').map((e) => e.calendarId);
  // The churn deleted appointments the mirror held, so a false walk had something to tombstone.
  expect(deletedByChurn.filter((id) => known.has(id)).length).toBeGreaterThan(0);
  // The walk noticed the shifting pages: some chunk was read again, or left incomplete.
  const reads = await chunkReads(env, churned.runId);
  expect(reads).toHaveLength(4);
  expect(reads.some((c) => c.reads > 1 || !c.complete)).toBe(true);
  // Partial only because of the chunks that stayed inconsistent, and those tombstoned nothing.
  expect(['succeeded', 'partial']).toContain(churned.status);
  for (const reason of churned.reasons)
    expect(reason).toMatch(/^appointments \S+\.\.\S+: .*nothing in the range was tombstoned$/);
  expect(churned.reasons).toHaveLength(reads.filter((c) => !c.complete).length);

  const after = await mirrored(env);
  const falselyTombstoned = [...after]
    .filter(([id, row]) => row.deleted && sim.data.appointments.has(id))
    .map(([id]) => id);
  expect(falselyTombstoned).toEqual([]);
  // Every appointment that TimeTap had all along is mirrored, alive.
  const lost = [...existedBefore].filter(
    (id) =>
      sim.data.appointments.has(id) &&
      inRange(sim.data.appointments.get(id)?.startDate ?? null, WINDOW) &&
      after.get(id)?.deleted !== false,
  );
  expect(lost).toEqual([]);
  // What the churn did not touch is mirrored exactly as TimeTap has it, in every chunk, complete
  // or not; the calm sync below settles the rest.
  const touched = new Set(events.map((e) => e.calendarId));
  const untouched = sim.data
    .findAppointments({ from: WINDOW.startDate, to: WINDOW.endDate })
    .filter((a) => !touched.has(a.calendarId));
  expect(untouched.length).toBeGreaterThan(100);
  expect(
    untouched
      .filter((a) => {
        const row = after.get(a.calendarId);
        return row?.deleted !== false || row.status !== a.status || row.start_date !== a.startDate;
      })
      .map((a) => a.calendarId),
  ).toEqual([]);

  const settled = (await env.waitForJob(await env.resync())) as Result;
  expect(settled.status, settled.reasons.join('\n')).toBe('succeeded');
  expect(await appointmentMismatches(env, WINDOW)).toEqual([]);
  // Everything the churn booked is mirrored, everything it deleted is tombstoned.
  const final = await mirrored(env);
  for (const e of events) {
    if (e.action === 'book' && sim.data.appointments.has(e.calendarId))
      expect(final.get(e.calendarId)?.deleted, `booked ${e.calendarId}`).toBe(false);
    if (e.action === 'delete' && final.has(e.calendarId))
      expect(final.get(e.calendarId)?.deleted, `deleted ${e.calendarId}`).toBe(true);
  }
  await expectConvergedWithoutLeaks(env);
});

it('21: a worker killed (SIGKILL) during a backfill: the next one resumes it; every appointment mirrored; no complete chunk read again', async () => {
  const CHUNK_DAYS = 7;
  const env = await faultEnv({
    sim: { locations: 2, appointments: { from: addDays(TODAY, -80), to: addDays(TODAY, 6) } },
    env: {
      APPOINTMENTS_PAST_DAYS: '6',
      APPOINTMENTS_FUTURE_DAYS: '6',
      APPOINTMENTS_CHUNK_DAYS: String(CHUNK_DAYS),
      APPOINTMENTS_PAGE_SIZE: '20',
      WORKER_CONCURRENCY: '2',
    },
  });
  const { sim, database } = env;
  const range = { from: addDays(TODAY, -75), to: addDays(TODAY, -7) };
  const chunks = dateChunks({ startDate: range.from, endDate: range.to }, CHUNK_DAYS);
  expect(chunks.length).toBeGreaterThanOrEqual(9);
  const recorded = () =>
    database.db.$queryRaw<Array<Range & { completed_at: string }>>`
      SELECT start_date AS "startDate", end_date AS "endDate", completed_at::text AS completed_at
      FROM backfill_chunks ORDER BY start_date`;

  const first = await env.startWorker();
  sim.setLatency(150); // a chunk (3 pages and the count check) takes about 600 ms
  const { jobId } = await enqueueBackfill(env.queue, range, RETRY);
  await eventually('two chunks recorded', async () => (await recorded()).length >= 2, 30_000);
  // The kill lands while both chunk jobs of the worker wait on TimeTap (each with a report call
  // that has most of its 150 ms still to go): no chunk is between its record and its job's end.
  const cut = await eventually(
    'both chunk jobs waiting on TimeTap',
    async () => {
      const now = Date.now();
      const open = sim.calls.filter((c) => isReport(c) && c.finishedAt === 0 && now - c.startedAt < 60);
      const dates = new Set(open.map((c) => c.query.startDate ?? ''));
      if (open.length !== 2 || dates.size !== 2) return undefined;
      first.kill('SIGKILL');
      return [...dates];
    },
    30_000,
    5,
  );
  await first.exited;
  const killedAt = Date.now();
  const before = await recorded();
  expect(before.length).toBeGreaterThanOrEqual(2);
  expect(before.length).toBeLessThan(chunks.length);
  for (const date of cut) expect(before.map((c) => c.startDate)).not.toContain(date);

  sim.setLatency(2);
  await env.startWorker();
  const result = (await env.waitForJob(jobId, 60_000)) as BackfillResult;
  expect(result.status, result.reasons.join('\n')).toBe('succeeded');
  expect(result.chunks).toBe(chunks.length);

  // Every chunk recorded once; those recorded before the kill untouched since.
  const after = await recorded();
  expect(after.map(({ startDate, endDate }) => ({ startDate, endDate }))).toEqual(chunks);
  for (const chunk of before) expect(after.find((c) => c.startDate === chunk.startDate)).toEqual(chunk);
  // No report call for a chunk recorded before the kill came after it; the chunks cut off by the
  // kill were read again by the second worker.
  const reportCalls = sim.calls.filter(isReport);
  const readAfterKill = (date: string) =>
    reportCalls.filter((c) => c.query.startDate === date && c.startedAt >= killedAt).length;
  expect(Object.fromEntries(before.map((c) => [c.startDate, readAfterKill(c.startDate)]))).toEqual(
    Object.fromEntries(before.map((c) => [c.startDate, 0])),
  );
  for (const date of cut) expect(readAfterKill(date), `chunk ${date}`).toBeGreaterThan(0);
  // Each read of a chunk starts with its first page at the page size asked for: every chunk that
  // the kill did not cut off was read exactly once (a read may end with a look at the count, a
  // page of one record, unless its first page held every record beside its count).
  const reads = (date: string) =>
    reportCalls.filter(
      (c) => c.query.startDate === date && c.query.pageNumber === '1' && c.query.pageSize === '20',
    ).length;
  const once = chunks.filter((c) => !cut.includes(c.startDate)).map((c) => c.startDate);
  expect(Object.fromEntries(once.map((d) => [d, reads(d)]))).toEqual(
    Object.fromEntries(once.map((d) => [d, 1])),
  );

  // The mirror has every appointment of the range.
  const ids = await database.db.$queryRaw<Array<{ id: bigint }>>`
    SELECT id FROM appointments
    WHERE deleted_at IS NULL AND start_date BETWEEN ${range.from} AND ${range.to} ORDER BY id`;
  const truth = sim.data
    .findAppointments(range)
    .map((a) => a.calendarId)
    .sort((a, b) => a - b);
  expect(truth.length).toBeGreaterThan(400);
  expect(ids.map((r) => Number(r.id))).toEqual(truth);
  const runs = await env.runs();
  expect(runs.map((r) => [r.scope, r.status])).toEqual([['backfill', 'succeeded']]);
  expect(await secretLeaks(env)).toEqual([]);
});

it('22: one chunk failing on every attempt: the others complete, its range untouched, the run partial naming it; converged once it answers', async () => {
  const env = await faultEnv({ sim: { locations: 3 }, env: WINDOW_ENV });
  const { sim, database } = env;
  const chunks = dateChunks(WINDOW, 4);
  // The window's inner chunks are whole ones (its first and last may be clipped short).
  const [, broken, other] = chunks as [Range, Range, Range];
  await env.startWorker();
  const first = (await env.waitForJob(await env.resync())) as Result;
  expect(first.status, first.reasons.join('\n')).toBe('succeeded');

  // TimeTap changes in the chunk that will fail, and in one that will not.
  const ids = (range: Range) =>
    sim.data
      .findAppointments({ from: range.startDate, to: range.endDate })
      .filter((a) => a.status !== 'CANCELLED')
      .map((a) => a.calendarId);
  const [cancelled, deleted, moved] = ids(broken) as [number, number, number];
  const farAway = addDays(TODAY, 200);
  sim.data.cancelAppointment(cancelled);
  sim.data.deleteAppointment(deleted);
  sim.data.rescheduleAppointment(moved, farAway);
  const booked = sim.data.bookAppointment({ startDate: broken.startDate });
  const [otherCancelled, otherDeleted] = ids(other) as [number, number];
  sim.data.cancelAppointment(otherCancelled);
  sim.data.deleteAppointment(otherDeleted);

  const brokenRows = () =>
    database.db.$queryRaw<Array<Record<string, unknown>>>`
      SELECT id, ctid::text || ':' || xmin::text AS version, status, start_date, raw::text AS raw,
             read_at, deleted_at
      FROM appointments WHERE start_date BETWEEN ${broken.startDate} AND ${broken.endDate} ORDER BY id`;
  const untouched = await brokenRows();
  expect(untouched.length).toBeGreaterThan(20);
  expect(untouched.map((r) => Number(r.id))).toEqual(expect.arrayContaining([cancelled, deleted, moved]));

  sim.inject({
    path: /appointmentList/,
    query: { startDate: broken.startDate },
    fault: { type: 'status', status: 503 },
  });
  sim.resetCalls();
  const partial = (await env.waitForJob(await env.resync())) as Result;
  expect(partial.status).toBe('partial');
  expect(partial.reasons).toHaveLength(1);
  expect(partial.reasons[0]).toContain(`appointments from ${broken.startDate}`);
  const run = (await env.runs()).find((r) => r.id === partial.runId);
  expect(run?.status).toBe('partial');
  expect(run?.error).toContain(broken.startDate);
  // Every attempt of the chunk's job asked, and every answer was the 503.
  const brokenCalls = sim.calls.filter((c) => isReport(c) && c.query.startDate === broken.startDate);
  expect(brokenCalls.length).toBeGreaterThanOrEqual(RETRY.attempts);
  expect(new Set(brokenCalls.map((c) => c.status))).toEqual(new Set([503]));
  // The other chunks completed...
  const reads = await chunkReads(env, partial.runId);
  expect(reads.map((c) => c.startDate).sort()).toEqual(
    chunks
      .filter((c) => c !== broken)
      .map((c) => c.startDate)
      .sort(),
  );
  expect(reads.every((c) => c.complete)).toBe(true);
  expect(await appointmentMismatches(env, WINDOW, broken)).toEqual([]);
  const rows = await mirrored(env);
  expect(rows.get(otherDeleted)?.deleted).toBe(true);
  expect(rows.get(otherCancelled)).toMatchObject({ status: 'CANCELLED', deleted: false });
  // ...while the failing chunk's range is exactly as it was: not a row written, nothing added.
  expect(await brokenRows()).toEqual(untouched);
  expect(rows.has(booked)).toBe(false);
  await env.expectConverged();

  sim.clearFaults();
  const healed = (await env.waitForJob(await env.resync())) as Result;
  expect(healed.status, healed.reasons.join('\n')).toBe('succeeded');
  expect(await appointmentMismatches(env, WINDOW)).toEqual([]);
  const healedRows = await mirrored(env);
  expect(healedRows.get(moved)).toMatchObject({ start_date: farAway, deleted: false });
  expect(healedRows.get(deleted)?.deleted).toBe(true);
  expect(healedRows.get(cancelled)).toMatchObject({ status: 'CANCELLED', deleted: false });
  expect(healedRows.get(booked)?.deleted).toBe(false);
  await expectConvergedWithoutLeaks(env);
});

/** Every text and jsonb value of every table, each as JSON text (strings quoted and escaped). */
async function everything(env: FaultEnv): Promise<string> {
  const db = env.database.db;
  const columns = await db.$queryRaw<Array<{ table_name: string; column_name: string }>>`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
    ORDER BY c.table_name, c.ordinal_position`;
  const byTable = new Map<string, string[]>();
  for (const c of columns) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
  const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const parts: string[] = [];
  for (const [table, names] of byTable) {
    const values = names.map((n) => `coalesce(to_jsonb(${quote(n)})::text, '')`).join(`, E'\\n', `);
    const rows = await db.$queryRawUnsafe<Array<{ v: string }>>(
      `SELECT concat(${values}) AS v FROM ${quote(table)}`,
    );
    parts.push(...rows.map((r) => r.v));
  }
  expect([...byTable.keys()]).toEqual(expect.arrayContaining(['clients', 'appointments', 'sync_runs']));
  return parts.join('\n');
}

/** A value as it reads inside JSON text. */
const asJson = (value: string) => JSON.stringify(value).slice(1, -1);

it('23: a mirror switched from full to pseudonymous: no name, e-mail, phone, note or custom field of a client left anywhere', async () => {
  const KEPT = ['businessId', 'clientId', 'emailHash'];
  const env = await faultEnv({
    sim: { locations: 3, appointments: { from: addDays(TODAY, -20), to: addDays(TODAY, 6) } },
    env: { ...WINDOW_ENV, MIRROR_CLIENT_DATA: 'full' },
  });
  const { sim, database } = env;
  const db = database.db;
  // A client who never booked (added once the appointments exist, so none names them): stored in
  // full now, tombstoned once they leave, and to be scrubbed all the same.
  expect(sim.data.appointments.size).toBeGreaterThan(0);
  const leaving = sim.data.addClient();
  expect([...sim.data.appointments.values()].filter((a) => a.client?.clientId === leaving)).toEqual([]);
  await env.startWorker();
  const full = (await env.waitForJob(await env.resync())) as Result;
  expect(full.status, full.reasons.join('\n')).toBe('succeeded');
  // History older than the window too: rows that no pseudonymous walk will read again.
  const history = { from: addDays(TODAY, -20), to: addDays(TODAY, -7) };
  const { jobId } = await enqueueBackfill(env.queue, history, RETRY);
  expect(((await env.waitForJob(jobId)) as BackfillResult).status).toBe('succeeded');

  // Values only clients carry: whatever also occurs in a location, staff member or service (a
  // name from the shared pools) is left to the structural checks below.
  const { locations, staff, services } = sim.data.snapshot();
  const others = JSON.stringify([locations, staff, services]);
  const clients = [...sim.data.clients.values()];
  const personal = [
    ...new Set(
      clients.flatMap((c) => {
        const fields = Array.isArray(c.fields)
          ? (c.fields as Array<{ fieldName: string; value: string }>)
          : [];
        return [
          c.emailAddress,
          c.cellPhone,
          c.homePhone,
          c.notes,
          c.address1,
          typeof c.firstName === 'string' && typeof c.lastName === 'string'
            ? `${c.firstName} ${c.lastName}`
            : undefined,
          ...fields.map((f) => f.fieldName),
          ...fields.filter((f) => f.fieldName === 'Member number').map((f) => f.value),
        ]
          .map((v) => (typeof v === 'string' ? v.replaceAll('\u0000', '') : v))
          .filter((v): v is string => typeof v === 'string' && v.length > 4 && !others.includes(asJson(v)));
      }),
    ),
  ];
  expect(personal.length).toBeGreaterThan(2 * clients.length);
  // The search can fail: under `full`, every one of these values is stored somewhere.
  const stored = await everything(env);
  expect(personal.filter((v) => !stored.includes(asJson(v)))).toEqual([]);
  const emails = new Map(clients.map((c) => [Number(c.clientId), String(c.emailAddress)]));

  // Meanwhile the client leaves and an appointment is deleted: their rows are tombstoned, and
  // must be scrubbed all the same.
  sim.data.removeClient(leaving);
  const [deletedToday] = sim.data.findAppointments({ from: TODAY, to: TODAY }).map((a) => a.calendarId);
  sim.data.deleteAppointment(deletedToday as number);

  await env.stopWorkers();
  await env.startWorker({ MIRROR_CLIENT_DATA: 'pseudonymous' });
  const switched = (await env.waitForJob(await env.resync())) as Result;
  expect(switched.status, switched.reasons.join('\n')).toBe('succeeded');

  const scrubbed = await everything(env);
  expect(personal.filter((v) => scrubbed.includes(asJson(v)))).toEqual([]);
  // No personal column left, tombstoned rows included.
  const [left] = await db.$queryRaw<Array<{ n: bigint; deleted: bigint }>>`
    SELECT count(*) FILTER (WHERE first_name IS NOT NULL OR last_name IS NOT NULL OR email IS NOT NULL
                            OR phone IS NOT NULL OR city IS NOT NULL OR display_name IS NOT NULL) AS n,
           count(*) FILTER (WHERE deleted_at IS NOT NULL) AS deleted
    FROM clients`;
  expect(Number(left?.n)).toBe(0);
  expect(Number(left?.deleted)).toBe(1);
  const [gone] = await db.$queryRaw<Array<{ deleted: boolean }>>`
    SELECT deleted_at IS NOT NULL AS deleted FROM clients WHERE id = ${leaving}`;
  expect(gone?.deleted).toBe(true);
  // Every client's raw, and the client nested in every appointment's raw, keeps the ids and the
  // hash only.
  const clientRows = await db.$queryRaw<Array<{ id: bigint; keys: string[]; email_hash: string | null }>>`
    SELECT id, ARRAY(SELECT jsonb_object_keys(raw) ORDER BY 1) AS keys, email_hash FROM clients`;
  expect(clientRows.length).toBe(emails.size);
  expect(clientRows.filter((r) => !r.keys.every((k) => KEPT.includes(k)))).toEqual([]);
  const nested = await db.$queryRaw<
    Array<{ id: bigint; type: string; keys: string[] | null; outside: boolean }>
  >`
    SELECT id, jsonb_typeof(raw->'client') AS type,
           CASE WHEN jsonb_typeof(raw->'client') = 'object'
                THEN ARRAY(SELECT jsonb_object_keys(raw->'client') ORDER BY 1) END AS keys,
           start_date < ${WINDOW.startDate} AS outside
    FROM appointments WHERE raw ? 'client'`;
  expect(nested.filter((r) => r.outside).length).toBeGreaterThan(50); // the backfilled history
  expect(nested.filter((r) => r.type !== 'object' || !r.keys?.every((k) => KEPT.includes(k)))).toEqual([]);
  expect((await mirrored(env)).get(deletedToday as number)?.deleted).toBe(true);

  // The hash is there, keyed (not a plain digest of the address), the same in the column, in
  // `raw` and in every appointment that names the client: a client can still be counted and joined.
  for (const row of clientRows) {
    const email = emails.get(Number(row.id)) as string;
    expect(row.email_hash, `client ${row.id}`).toMatch(/^[0-9a-f]{64}$/);
    expect(row.email_hash).not.toBe(createHash('sha256').update(email.trim().toLowerCase()).digest('hex'));
  }
  const [unjoined] = await db.$queryRaw<Array<{ n: bigint; joined: bigint }>>`
    SELECT count(*) FILTER (WHERE c.email_hash IS DISTINCT FROM a.raw->'client'->>'emailHash'
                            OR c.email_hash IS DISTINCT FROM c.raw->>'emailHash') AS n,
           count(*) AS joined
    FROM appointments a JOIN clients c ON c.id = a.client_id`;
  expect(Number(unjoined?.n)).toBe(0);
  expect(Number(unjoined?.joined)).toBeGreaterThan(100);

  // The policy and the sync agree: the next sync under it writes nothing.
  const before = await rowVersions(db);
  const again = (await env.waitForJob(await env.resync())) as Result;
  expect(again.status, again.reasons.join('\n')).toBe('succeeded');
  expect(await rowVersions(db)).toEqual(before);
  expect(await appointmentMismatches(env, WINDOW)).toEqual([]);
  await expectConvergedWithoutLeaks(env);
});

// Found by this scenario: a copy nested in appointments revived a client tombstoned after its own
// URL answered 404 (src/db/bulk-upsert.ts `onlyMissing` wrote tombstoned rows); it no longer does.
it('23b: a client who left, with appointments still naming them, stays tombstoned and the next sync writes nothing', async () => {
  const env = await faultEnv({ sim: { locations: 2 }, env: WINDOW_ENV });
  const { sim, database } = env;
  await env.startWorker();
  expect(((await env.waitForJob(await env.resync())) as Result).status).toBe('succeeded');
  const [named] = sim.data.findAppointments({ from: WINDOW.startDate, to: WINDOW.endDate });
  const leaving = named?.client?.clientId as number;
  expect(leaving).toBeGreaterThan(0);
  sim.data.removeClient(leaving);

  const removed = (await env.waitForJob(await env.resync())) as Result;
  expect(removed.status, removed.reasons.join('\n')).toBe('succeeded');
  const row = async () =>
    (
      await database.db.$queryRaw<Array<{ deleted: boolean; raw: Record<string, unknown> }>>`
        SELECT deleted_at IS NOT NULL AS deleted, raw FROM clients WHERE id = ${leaving}`
    )[0];
  expect(sim.calls.some((c) => c.path === `/clients/${leaving}` && c.status === 404)).toBe(true);
  expect((await row())?.deleted).toBe(true);
  // Kept as TimeTap last listed it, not overwritten by an appointment's excerpt.
  expect((await row())?.raw).toHaveProperty('businessId');

  const before = await rowVersions(database.db);
  expect(((await env.waitForJob(await env.resync())) as Result).status).toBe('succeeded');
  expect(await rowVersions(database.db)).toEqual(before);
  await expectConvergedWithoutLeaks(env);
});
