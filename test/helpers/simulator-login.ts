/**
 * A login to the simulator the way TimeTap's contract spells it (md5 of the two keys), written
 * here by hand rather than through the client, so that the simulator tests check the contract
 * itself; four test files repeated it.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { Simulator } from '../../src/simulator/index.js';

/** What a login needs of a simulator: also met by one running in a child process. */
export type SimulatorEndpoint = Pick<Simulator, 'url' | 'credentials'>;

export const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export function loginUrl(sim: SimulatorEndpoint, overrides: Record<string, string> = {}): string {
  const { apiKey, privateKey } = sim.credentials;
  const params = new URLSearchParams({
    apiKey,
    timestamp: String(Math.floor(Date.now() / 1000)),
    signature: md5(apiKey + privateKey),
    ...overrides,
  });
  return `${sim.url}/sessionToken?${params}`;
}

/** A session token, after checking that the login was answered 200. */
export async function login(sim: SimulatorEndpoint): Promise<string> {
  const response = await fetch(loginUrl(sim));
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessionToken: string }).sessionToken;
}
