/**
 * How much personal data of clients the mirror keeps (MIRROR_CLIENT_DATA):
 * - `full`: everything TimeTap sends;
 * - `pseudonymous`: the ids and a keyed hash of the e-mail address only, in the typed columns and
 *   inside `raw` alike, so that a client can still be counted, followed over time and joined
 *   with the user's own data (hashed with the same key) without being named;
 * - `none`: the ids only.
 * The same reduction applies to a client's own row and to every appointment, whose fields are
 * kept by an allow-list (client-reduction.ts). Switching to a stricter mode scrubs what an
 * earlier mode stored (scrubClientData); switching back only fills rows again as TimeTap sends
 * them.
 */
import { Prisma } from '../generated/prisma/client.js';
import {
  APPOINTMENT_FIELDS,
  type ClientDataMode,
  type ClientDataPolicy,
  isPlainObject,
  KEPT_CLIENT_FIELDS,
  optionalEmailHash,
  reduceAppointmentRaw,
  reduceClient,
} from './client-reduction.js';
import { canonicalJson, hashCanonicalJson } from './content-hash.js';
import type { Db } from './database.js';
import { executeInRun, type RunWrite } from './run-id.js';

export {
  type ClientDataMode,
  type ClientDataPolicy,
  emailHash,
  optionalEmailHash,
  reduceAppointmentRaw,
  reduceClient,
} from './client-reduction.js';

/** The personal columns of `clients`: NULL under any reducing mode. */
const PERSONAL_COLUMNS = ['first_name', 'last_name', 'email', 'phone', 'city'] as const;

/** Rows read and written per statement while scrubbing. */
const SCRUB_BATCH = 1_000;

/**
 * Brings rows stored under a less strict mode down to the policy: the clients' personal columns
 * NULL (and `email_hash` too under `none`), their `raw` reduced, and each appointment's
 * `raw.client` reduced; `content_hash` recomputed, so that the next sync sees no change. Only rows
 * that change are written (`updated_at` is left alone: TimeTap changed nothing), tombstoned rows
 * included, and a row that a sync rewrote meanwhile is left to that sync. Cheap when there is
 * nothing to do: the candidates are found by SQL, and `full` reads nothing.
 */
export async function scrubClientData(
  db: Db,
  policy: ClientDataPolicy,
  write: RunWrite,
): Promise<{ clients: number; appointments: number }> {
  if (policy.mode === 'full') return { clients: 0, appointments: 0 };
  // Per account: each account's e-mail hashes are keyed by its own private key (run-settings.ts).
  return {
    clients: await scrubClients(db, policy, write),
    appointments: await scrubAppointments(db, policy, write),
  };
}

interface StoredClient {
  id: bigint;
  email: string | null;
  email_hash: string | null;
  raw: string;
  content_hash: string;
}

async function scrubClients(db: Db, policy: ClientDataPolicy, { account, runId }: RunWrite): Promise<number> {
  const mode = policy.mode as Exclude<ClientDataMode, 'full'>;
  const kept = KEPT_CLIENT_FIELDS[mode];
  const personal = Prisma.raw(PERSONAL_COLUMNS.map((c) => `${c} IS NOT NULL`).join(' OR '));
  const hashLeft = mode === 'none' ? Prisma.sql`OR email_hash IS NOT NULL` : Prisma.empty;
  let written = 0;
  let after = 0n;
  for (;;) {
    const rows = await db.$queryRaw<StoredClient[]>`
      SELECT id, email, email_hash, raw::text AS raw, content_hash FROM clients
      WHERE account = ${account} AND id > ${after}::bigint
        AND (${personal} ${hashLeft}
          OR CASE jsonb_typeof(raw) WHEN 'object' THEN raw - ${kept}::text[] <> '{}'::jsonb ELSE TRUE END)
      ORDER BY id LIMIT ${SCRUB_BATCH}`;
    if (rows.length === 0) return written;
    after = rows.at(-1)?.id ?? after;
    const ids: bigint[] = [];
    const hashes: Array<string | null> = [];
    const raws: string[] = [];
    const contentHashes: string[] = [];
    const previous: string[] = [];
    for (const row of rows) {
      const stored = JSON.parse(row.raw) as unknown;
      const reduced = reduceClient(isPlainObject(stored) ? stored : {}, policy);
      const canonical = canonicalJson(reduced);
      ids.push(row.id);
      hashes.push(mode === 'none' ? null : (optionalEmailHash(row.email, policy.hashKey) ?? row.email_hash));
      raws.push(canonical);
      contentHashes.push(hashCanonicalJson(canonical));
      previous.push(row.content_hash);
    }
    const nulls = Prisma.raw(PERSONAL_COLUMNS.map((c) => `${c} = NULL`).join(', '));
    written += await executeInRun(
      db,
      runId,
      Prisma.sql`
        UPDATE clients t SET ${nulls}, email_hash = u.email_hash, raw = u.raw::jsonb, content_hash = u.content_hash
        FROM unnest(${ids}::bigint[], ${hashes}::text[], ${raws}::text[], ${contentHashes}::text[], ${previous}::text[])
          AS u(id, email_hash, raw, content_hash, previous)
        WHERE t.account = ${account} AND t.id = u.id AND t.content_hash = u.previous`,
    );
  }
}

async function scrubAppointments(
  db: Db,
  policy: ClientDataPolicy,
  { account, runId }: RunWrite,
): Promise<number> {
  const mode = policy.mode as Exclude<ClientDataMode, 'full'>;
  const kept = KEPT_CLIENT_FIELDS[mode];
  // A candidate has a field the allow-list does not know, a nested client that is not already
  // reduced, or a client deeper inside (reduceAppointmentRaw decides; `$.*.**` skips the root).
  // 0.86 s per 100,000 reduced rows that need nothing (0.21 s when only `client` was looked at).
  const client = Prisma.sql`(raw->'client')`;
  const deeper = 'lax $.*.** ? (exists(@.clientId))';
  let written = 0;
  let after = 0n;
  for (;;) {
    const rows = await db.$queryRaw<Array<{ id: bigint; raw: string; content_hash: string }>>`
      SELECT id, raw::text AS raw, content_hash FROM appointments
      WHERE account = ${account} AND id > ${after}::bigint AND jsonb_typeof(raw) = 'object' AND (
        raw - ${APPOINTMENT_FIELDS}::text[] <> '{}'::jsonb
        OR (raw ? 'client' AND CASE jsonb_typeof(${client})
          WHEN 'null' THEN FALSE
          WHEN 'object' THEN ${client} - ${kept}::text[] <> '{}'::jsonb
          ELSE TRUE END)
        OR jsonb_path_exists(raw - 'client', ${deeper}::jsonpath))
      ORDER BY id LIMIT ${SCRUB_BATCH}`;
    if (rows.length === 0) return written;
    after = rows.at(-1)?.id ?? after;
    const ids: bigint[] = [];
    const raws: string[] = [];
    const contentHashes: string[] = [];
    const previous: string[] = [];
    for (const row of rows) {
      const stored = JSON.parse(row.raw) as Record<string, unknown>;
      const canonical = canonicalJson(reduceAppointmentRaw(stored, policy));
      const hash = hashCanonicalJson(canonical);
      // An array of already reduced clients is a candidate that needs no write.
      if (hash === row.content_hash) continue;
      ids.push(row.id);
      raws.push(canonical);
      contentHashes.push(hash);
      previous.push(row.content_hash);
    }
    if (ids.length === 0) continue;
    written += await executeInRun(
      db,
      runId,
      Prisma.sql`
        UPDATE appointments t SET raw = u.raw::jsonb, content_hash = u.content_hash
        FROM unnest(${ids}::bigint[], ${raws}::text[], ${contentHashes}::text[], ${previous}::text[])
          AS u(id, raw, content_hash, previous)
        WHERE t.account = ${account} AND t.id = u.id AND t.content_hash = u.previous`,
    );
  }
}
