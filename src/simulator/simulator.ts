/**
 * startSimulator: a local imitation of the TimeTap API (as TimeTap's public API documentation
 * describes it) over real HTTP, with a mutable data set, fault injection, and switches that make
 * it as strict and as sparse as the documentation allows, and webhooks for every appointment
 * change (webhooks.ts). It knows only TimeTap's contract and imports nothing else from the project.
 */
import type { AddressInfo } from 'node:net';
import { createTokenStore } from './auth.js';
import { type ChurnEvent, createChurner, type PageChurn } from './churn.js';
import { resolveShape, type ShapeOptions } from './data.js';
import { createFaultSet, type FaultRule } from './faults.js';
import { createHiddenRateLimit } from './hidden-limit.js';
import { checkLiveChangesMs, createLiveChanges } from './live-changes.js';
import { createRandom, mixSeed } from './random.js';
import { type CallRecord, createSimulatorServer, type SimulatorStats } from './server.js';
import { createSimulatorData, type SimulatorData } from './store.js';
import {
  checkEmptyListStatus,
  checkListPaging,
  checkReportPaging,
  checkReportWrapper,
  checkTokenMaxCalls,
  type EmptyListStatus,
  type ListPaging,
  type ReportPaging,
  type ReportWrapper,
  resolveSwitches,
} from './switches.js';
import { resolveVariants, type Variants } from './variants.js';
import { createWebhookSender, type WebhookDelivery, type WebhookTarget } from './webhooks.js';

export type { ChurnEvent, PageChurn } from './churn.js';
export type { EmptyListStatus, ListPaging, ReportPaging, ReportWrapper } from './switches.js';
export type { Variants } from './variants.js';
export type { WebhookDelivery, WebhookFormat, WebhookTarget } from './webhooks.js';

export interface SimulatorOptions extends ShapeOptions {
  /** Added before every answer. Default 0. */
  latencyMs?: number;
  /** Session idle expiry. Default 4 hours, as documented by TimeTap. */
  tokenIdleMs?: number;
  /** Default derived from the seed. */
  apiKey?: string;
  privateKey?: string;
  /** Default 127.0.0.1 and an ephemeral port. */
  host?: string;
  port?: number;
  /** Default true: no access log. false prints "METHOD /path status" per call (never the query). */
  quiet?: boolean;
  /** Where the access log goes when not quiet. Default console.log. */
  log?: (line: string) => void;
  /**
   * Authorized data calls one session token serves; the next one gets 401 and the token is
   * forgotten. Default undefined: unlimited (only the idle expiry ends a token).
   */
  tokenMaxCalls?: number;
  /** Default `{ mode: 'all' }`: bare arrays of everything, paging parameters ignored (as documented). */
  listPaging?: ListPaging;
  /** What a filtered list with an empty result answers. Default 404, the stricter guess. */
  emptyListStatus?: EmptyListStatus;
  /** reportWithCount's property names for the page and the count. Default `{ list: 'objects', count: 'count' }`. */
  reportWrapper?: ReportWrapper;
  /** The report endpoints' page sizes. Default 25; larger requests get pages of maxPageSize (default 100). */
  reportPaging?: ReportPaging;
  /** Appointments carry `calendarid` instead of `calendarId`. Default false. */
  lowercaseCalendarId?: boolean;
  /** What other people's traffic shows (variants.ts); each default off. See setVariants. */
  variants?: Partial<Variants>;
  /** Where appointment changes are posted from the start (see setWebhook). Default none. */
  webhook?: WebhookTarget;
  /** The account changes by itself every N ms (see setLiveChanges). Default never. */
  liveChangesEveryMs?: number;
  /** Requests per second beyond which it answers 429 with Retry-After (see setHiddenRateLimit). Default none. */
  hiddenRateLimit?: number;
}

export interface Simulator {
  /** Base URL without trailing slash; endpoint paths are appended (`${url}/locations`). */
  readonly url: string;
  readonly credentials: { apiKey: string; privateKey: string };
  /** The truth: tests mutate it between syncs. */
  readonly data: SimulatorData;
  /** Every request, in arrival order. */
  readonly calls: CallRecord[];
  inject(rule: FaultRule): () => void;
  clearFaults(): void;
  revokeTokens(): void;
  setLatency(ms: number): void;
  /** Applies from the next call on; existing tokens keep the calls they have used. */
  setTokenMaxCalls(n: number | undefined): void;
  setListPaging(p: ListPaging): void;
  setEmptyListStatus(s: EmptyListStatus): void;
  setReportWrapper(w: ReportWrapper): void;
  setReportPaging(p: ReportPaging): void;
  setLowercaseCalendarId(on: boolean): void;
  /** A location's staff and services lists answer the documented objects only (switches.ts). */
  setDocumentedLocationLists(on: boolean): void;
  /** Changes the given variants (variants.ts) from the next call on; the others stay. */
  setVariants(changes: Partial<Variants>): void;
  /** The variants in force. */
  variants(): Variants;
  /**
   * Books, cancels or deletes an appointment inside the range being read after every N-th report
   * page (see churn.ts); undefined stops it. Pages are counted from this call.
   */
  setPageChurn(c: PageChurn | undefined): void;
  /** What the page churn did, in order. */
  churnEvents(): ChurnEvent[];
  /**
   * Where appointment webhooks go; undefined turns them off. From now on every applied appointment
   * mutation (book, reschedule, cancel, update, delete; the page churn's and live changes' too)
   * POSTs that appointment once, as GET /appointments/{calendarId} serves it at that moment (a
   * deleted one as it last was): asynchronously, never retried, bounded by `timeoutMs`. See
   * webhooks.ts for the strict reading of TimeTap's docs this follows. A `mixed` format restarts
   * with `json` here.
   */
  setWebhook(target: WebhookTarget | undefined): void;
  /** Every delivery since the start or the last resetWebhooks, in the order the changes happened. */
  readonly webhooks: WebhookDelivery[];
  /** Resolves when every delivery started so far has finished (answered, failed or timed out). */
  webhooksSettled(): Promise<void>;
  /** Empties `webhooks` (resetCalls leaves them alone); deliveries in flight still finish. */
  resetWebhooks(): void;
  /**
   * Every `everyMs`, one appointment change by itself (book one, move it a day, cancel it, delete
   * it, then the next): a live account for the standalone simulator. undefined stops it.
   */
  setLiveChanges(everyMs: number | undefined): void;
  /**
   * A rate limit TimeTap does not publish (hidden-limit.ts): a token bucket of `rps` per second
   * with a small burst, over every request; beyond it, 429 with Retry-After in seconds. From the
   * next request on; undefined turns it off.
   */
  setHiddenRateLimit(rps: number | undefined): void;
  stats(): SimulatorStats;
  /** Empties `calls` and resets the logins, maxInFlight and rateLimited counters. */
  resetCalls(): void;
  /**
   * Stops listening and destroys every open socket, hung ones included; stops live changes and
   * aborts webhooks in flight (recorded as failed: await webhooksSettled first to let them land).
   */
  close(): Promise<void>;
}

const FOUR_HOURS_MS = 4 * 60 * 60 * 1000;
/** The PRNG stream of the reshuffled ties (report-order variant); the data's salts are below 10. */
const TIE_ORDER_SALT = 31;

function defaultCredentials(seed: number): { apiKey: string; privateKey: string } {
  const rng = createRandom(mixSeed(seed, 0xc0ffee));
  return { apiKey: `sim-api-key-${rng.hex(16)}`, privateKey: `sim-private-${rng.hex(40)}` };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const shape = resolveShape(options);
  const switches = resolveSwitches(options);
  const log = options.quiet === false ? (options.log ?? ((line: string) => console.log(line))) : undefined;
  const webhooks = createWebhookSender({
    serving: () => ({ lowercaseCalendarId: switches.lowercaseCalendarId, ...switches.variants }),
    log,
  });
  if (options.webhook) webhooks.set(options.webhook);
  const data = createSimulatorData(shape, { onAppointmentChange: (change) => webhooks.send(change) });
  const generated = defaultCredentials(shape.seed);
  const credentials = Object.freeze({
    apiKey: options.apiKey ?? generated.apiKey,
    privateKey: options.privateKey ?? generated.privateKey,
  });
  const idleMs = options.tokenIdleMs ?? FOUR_HOURS_MS;
  const tokens = createTokenStore(credentials, {
    idleMs: () => idleMs,
    maxCalls: () => switches.tokenMaxCalls,
    style: () => switches.variants.tokenStyle,
  });
  const faults = createFaultSet();
  const hiddenLimit = createHiddenRateLimit(options.hiddenRateLimit, Date.now());
  let latencyMs = options.latencyMs ?? 0;
  let calls: CallRecord[] = [];
  const churn = createChurner(data);
  let tieOrders = 0;
  const liveChanges = createLiveChanges(data);
  const liveChangesMs = checkLiveChangesMs(options.liveChangesEveryMs);

  const http = createSimulatorServer({
    data,
    tokens,
    faults,
    hiddenLimit,
    latencyMs: () => latencyMs,
    lists: () => switches,
    hooks: {
      afterReportPage: (filter) => churn.afterReportPage(filter),
      // A new order of ties on every request, yet the same sequence for the same seed.
      tieOrder: () => createRandom(mixSeed(shape.seed, TIE_ORDER_SALT, ++tieOrders)),
    },
    calls: () => calls,
    ...(log ? { log } : {}),
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(options.port ?? 0, host, () => {
      http.server.off('error', reject);
      resolve();
    });
  });
  const { port } = http.server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  // Only once listening: a failed start leaves no clock running.
  liveChanges.set(liveChangesMs);

  return {
    url: `http://${urlHost}:${port}`,
    credentials,
    data,
    get calls() {
      return calls;
    },
    inject: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    revokeTokens: () => tokens.revokeAll(),
    setLatency(ms) {
      latencyMs = ms;
    },
    setTokenMaxCalls(n) {
      switches.tokenMaxCalls = checkTokenMaxCalls(n);
    },
    setListPaging(p) {
      switches.listPaging = checkListPaging(p);
    },
    setEmptyListStatus(s) {
      switches.emptyListStatus = checkEmptyListStatus(s);
    },
    setReportWrapper(w) {
      switches.reportWrapper = checkReportWrapper(w);
    },
    setReportPaging(p) {
      switches.reportPaging = checkReportPaging(p);
    },
    setDocumentedLocationLists(on) {
      switches.documentedLocationLists = on;
    },
    setLowercaseCalendarId(on) {
      switches.lowercaseCalendarId = on;
    },
    setVariants(changes) {
      switches.variants = resolveVariants(changes, switches.variants);
    },
    variants: () => switches.variants,
    setPageChurn: (c) => churn.set(c),
    churnEvents: () => churn.events(),
    setWebhook: (target) => webhooks.set(target),
    get webhooks() {
      return webhooks.deliveries();
    },
    webhooksSettled: () => webhooks.settled(),
    resetWebhooks: () => webhooks.reset(),
    setLiveChanges: (everyMs) => liveChanges.set(everyMs),
    setHiddenRateLimit: (rps) => hiddenLimit.set(rps, Date.now()),
    stats: () => http.stats(),
    resetCalls() {
      calls = [];
      http.resetCounters();
    },
    close() {
      if (!closing) {
        liveChanges.stop();
        closing = Promise.all([webhooks.close(), http.close()]).then(() => undefined);
      }
      return closing;
    },
  };
}
