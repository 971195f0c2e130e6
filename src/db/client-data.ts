/**
 * How much personal data of clients the mirror keeps (MIRROR_CLIENT_DATA):
 * - `full`: everything TimeTap sends;
 * - `pseudonymous`: the ids and a keyed hash of the e-mail address only, in the typed columns and
 *   inside `raw` alike, so that a client can still be counted, followed over time and joined
 *   with the user's own data (hashed with the same key) without being named;
 * - `none`: the ids only.
 * The same reduction applies to a client's own row and to the `client` object nested in each
 * appointment. Switching to a stricter mode scrubs what an earlier mode stored (scrubClientData);
 * switching back only fills rows again as TimeTap sends them.
 */
import { createHmac } from 'node:crypto';
import { Prisma } from '../generated/prisma/client.js';
import type { Db } from './client.js';
import { canonicalJson, hashCanonicalJson } from './content-hash.js';

export type ClientDataMode = 'full' | 'pseudonymous' | 'none';

export interface ClientDataPolicy {
  mode: ClientDataMode;
  /** The key of the e-mail hash: without it the hash of a known address cannot be recomputed. */
  hashKey: string;
}

/** HMAC-SHA256 (hex) of the trimmed, lower-cased address: the same person, the same hash. */
export function emailHash(email: string, hashKey: string): string {
  return createHmac('sha256', hashKey).update(email.trim().toLowerCase()).digest('hex');
}

/** The hash of an address worth hashing (a non-empty string), else undefined. */
export function optionalEmailHash(email: unknown, hashKey: string): string | undefined {
  return typeof email === 'string' && email.trim() !== '' ? emailHash(email, hashKey) : undefined;
}

/** The fields of a client object each mode keeps (`emailHash` is computed, see reduceClient). */
const KEPT_FIELDS: Record<Exclude<ClientDataMode, 'full'>, readonly string[]> = {
  pseudonymous: ['clientId', 'businessId', 'emailHash'],
  none: ['clientId'],
};

/**
 * A client object (TimeTap's, or one reduced before) as the policy keeps it. Idempotent: an
 * object reduced once is returned equal, so that stored rows can be reduced again to the same
 * content hash (an `emailHash` already there is kept when no address is left to hash).
 */
export function reduceClient(
  raw: Record<string, unknown>,
  policy: ClientDataPolicy,
): Record<string, unknown> {
  if (policy.mode === 'full') return raw;
  const out: Record<string, unknown> = {};
  if (raw.clientId !== undefined) out.clientId = raw.clientId;
  if (policy.mode === 'none') return out;
  if (raw.businessId !== undefined) out.businessId = raw.businessId;
  const hash = optionalEmailHash(raw.emailAddress, policy.hashKey) ?? raw.emailHash;
  if (hash !== undefined) out.emailHash = hash;
  return out;
}

/**
 * An appointment's `raw` with its nested `client` reduced. A `client` that is not an object
 * (malformed) is dropped under a reducing mode: whatever it holds may be personal; a list of
 * client objects (as a class booking might carry) is reduced item by item.
 */
export function reduceAppointmentRaw(
  raw: Record<string, unknown>,
  policy: ClientDataPolicy,
): Record<string, unknown> {
  if (policy.mode === 'full' || !('client' in raw)) return raw;
  const { client, ...rest } = raw;
  if (client === null || client === undefined) return raw;
  if (isPlainObject(client)) return { ...rest, client: reduceClient(client, policy) };
  if (Array.isArray(client)) {
    return { ...rest, client: client.filter(isPlainObject).map((c) => reduceClient(c, policy)) };
  }
  return rest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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
): Promise<{ clients: number; appointments: number }> {
  if (policy.mode === 'full') return { clients: 0, appointments: 0 };
  return {
    clients: await scrubClients(db, policy),
    appointments: await scrubAppointments(db, policy),
  };
}

interface StoredClient {
  id: bigint;
  email: string | null;
  email_hash: string | null;
  raw: string;
  content_hash: string;
}

async function scrubClients(db: Db, policy: ClientDataPolicy): Promise<number> {
  const mode = policy.mode as Exclude<ClientDataMode, 'full'>;
  const kept = KEPT_FIELDS[mode];
  const personal = Prisma.raw(PERSONAL_COLUMNS.map((c) => `${c} IS NOT NULL`).join(' OR '));
  const hashLeft = mode === 'none' ? Prisma.sql`OR email_hash IS NOT NULL` : Prisma.empty;
  let written = 0;
  let after = 0n;
  for (;;) {
    const rows = await db.$queryRaw<StoredClient[]>`
      SELECT id, email, email_hash, raw::text AS raw, content_hash FROM clients
      WHERE id > ${after}::bigint
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
    written += await db.$executeRaw`
      UPDATE clients t SET ${nulls}, email_hash = u.email_hash, raw = u.raw::jsonb, content_hash = u.content_hash
      FROM unnest(${ids}::bigint[], ${hashes}::text[], ${raws}::text[], ${contentHashes}::text[], ${previous}::text[])
        AS u(id, email_hash, raw, content_hash, previous)
      WHERE t.id = u.id AND t.content_hash = u.previous`;
  }
}

async function scrubAppointments(db: Db, policy: ClientDataPolicy): Promise<number> {
  const mode = policy.mode as Exclude<ClientDataMode, 'full'>;
  const kept = KEPT_FIELDS[mode];
  // A candidate holds a nested client that is not already reduced (reduceAppointmentRaw decides).
  const client = Prisma.sql`(raw->'client')`;
  let written = 0;
  let after = 0n;
  for (;;) {
    const rows = await db.$queryRaw<Array<{ id: bigint; raw: string; content_hash: string }>>`
      SELECT id, raw::text AS raw, content_hash FROM appointments
      WHERE id > ${after}::bigint AND raw ? 'client' AND CASE jsonb_typeof(${client})
          WHEN 'null' THEN FALSE
          WHEN 'object' THEN ${client} - ${kept}::text[] <> '{}'::jsonb
          ELSE TRUE END
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
    written += await db.$executeRaw`
      UPDATE appointments t SET raw = u.raw::jsonb, content_hash = u.content_hash
      FROM unnest(${ids}::bigint[], ${raws}::text[], ${contentHashes}::text[], ${previous}::text[])
        AS u(id, raw, content_hash, previous)
      WHERE t.id = u.id AND t.content_hash = u.previous`;
  }
}
