/**
 * startSimulator: a local imitation of the TimeTap API (see /work/shared/timetap-api.md) over
 * real HTTP, with a mutable data set and fault injection. It knows only TimeTap's contract and
 * imports nothing else from the project.
 */
import type { AddressInfo } from 'node:net';
import { createTokenStore } from './auth.js';
import { resolveShape, type ShapeOptions } from './data.js';
import { createFaultSet, type FaultRule } from './faults.js';
import { createRandom, mixSeed } from './random.js';
import { type CallRecord, createSimulatorServer } from './server.js';
import { createSimulatorData, type SimulatorData } from './store.js';

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
  stats(): { logins: number; maxInFlight: number; inFlight: number; openSockets: number };
  /** Empties `calls` and resets the logins and maxInFlight counters. */
  resetCalls(): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

const FOUR_HOURS_MS = 4 * 60 * 60 * 1000;

function defaultCredentials(seed: number): { apiKey: string; privateKey: string } {
  const rng = createRandom(mixSeed(seed, 0xc0ffee));
  return { apiKey: `sim-api-key-${rng.hex(16)}`, privateKey: `sim-private-${rng.hex(40)}` };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const shape = resolveShape(options);
  const data = createSimulatorData(shape);
  const generated = defaultCredentials(shape.seed);
  const credentials = Object.freeze({
    apiKey: options.apiKey ?? generated.apiKey,
    privateKey: options.privateKey ?? generated.privateKey,
  });
  const idleMs = options.tokenIdleMs ?? FOUR_HOURS_MS;
  const tokens = createTokenStore(credentials, () => idleMs);
  const faults = createFaultSet();
  let latencyMs = options.latencyMs ?? 0;
  let calls: CallRecord[] = [];

  const http = createSimulatorServer({
    data,
    tokens,
    faults,
    latencyMs: () => latencyMs,
    calls: () => calls,
    ...(options.quiet === false ? { log: options.log ?? ((line: string) => console.log(line)) } : {}),
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
    stats: () => http.stats(),
    resetCalls() {
      calls = [];
      http.resetCounters();
    },
    close() {
      closing ??= http.close();
      return closing;
    },
  };
}
