import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { runSimulatorCommand } from '../../src/simulator/standalone.js';

type Json = Record<string, unknown>;

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function loginUrl(sim: Simulator, overrides: Record<string, string> = {}): string {
  const { apiKey, privateKey } = sim.credentials;
  const params = new URLSearchParams({
    apiKey,
    timestamp: String(Math.floor(Date.now() / 1000)),
    signature: md5(apiKey + privateKey),
    ...overrides,
  });
  return `${sim.url}/sessionToken?${params}`;
}

async function login(sim: Simulator): Promise<string> {
  const response = await fetch(loginUrl(sim));
  expect(response.status).toBe(200);
  return ((await response.json()) as { sessionToken: string }).sessionToken;
}

function get(sim: Simulator, token: string | undefined, path: string, init: RequestInit = {}) {
  return fetch(`${sim.url}${path}`, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function getJson<T = Json[]>(sim: Simulator, token: string, path: string): Promise<T> {
  const response = await get(sim, token, path);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  return (await response.json()) as T;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('simulator over HTTP', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 7 });
    token = await login(sim);
  });
  afterEach(() => sim.clearFaults());
  afterAll(async () => {
    await sim.close();
    expect(sim.stats().openSockets).toBe(0);
  });

  describe('authentication', () => {
    it('logs in with md5(apiKey + privateKey) and counts logins', async () => {
      const before = sim.stats().logins;
      const fresh = await login(sim);
      expect(fresh).toMatch(/^st:api:api:[0-9a-f]{32}$/);
      expect(fresh).not.toBe(token);
      expect(sim.stats().logins).toBe(before + 1);
      expect(sim.credentials.privateKey.length).toBeGreaterThanOrEqual(32);
    });

    it('rejects a wrong signature or key with 401 and missing parameters with 400, without echoing secrets', async () => {
      const before = sim.stats().logins;
      const wrongSignature = await fetch(loginUrl(sim, { signature: md5('nope') }));
      expect(wrongSignature.status).toBe(401);
      const body = await wrongSignature.text();
      expect(JSON.parse(body)).toHaveProperty('error');
      expect(body).not.toContain(sim.credentials.apiKey);
      expect((await fetch(loginUrl(sim, { apiKey: 'other-key' }))).status).toBe(401);
      expect((await fetch(`${sim.url}/sessionToken?apiKey=x&timestamp=1`)).status).toBe(400);
      expect(sim.stats().logins).toBe(before);
    });

    it('answers 401 to a missing, unknown or revoked token', async () => {
      expect((await get(sim, undefined, '/locations')).status).toBe(401);
      expect((await get(sim, `st:api:api:${'0'.repeat(32)}`, '/locations')).status).toBe(401);
      const doomed = await login(sim);
      expect((await get(sim, doomed, '/locations')).status).toBe(200);
      sim.revokeTokens();
      expect((await get(sim, doomed, '/locations')).status).toBe(401);
      token = await login(sim);
    });

    it('expires a token after the idle time, each use resetting the clock', async () => {
      const short = await startSimulator({ tokenIdleMs: 600 });
      try {
        const t = await login(short);
        for (let i = 0; i < 4; i++) {
          await sleep(150);
          expect((await get(short, t, '/locations')).status).toBe(200);
        }
        await sleep(900);
        expect((await get(short, t, '/locations')).status).toBe(401);
      } finally {
        await short.close();
      }
    });
  });

  describe('endpoints', () => {
    it('lists and fetches locations', async () => {
      const locations = await getJson(sim, token, '/locations');
      expect(locations.map((l) => l.locationId)).toEqual([...sim.data.locations.keys()]);
      expect(locations[0]).toMatchObject({
        businessId: expect.any(Number),
        locationName: expect.any(String),
      });
      expect(locations[0]).toHaveProperty('address.city');
      const one = await getJson<Json>(sim, token, '/locations/1003');
      expect(one).toEqual(sim.data.locations.get(1003));
      expect((await get(sim, token, '/locations/999999')).status).toBe(404);
      expect((await get(sim, token, '/locations/abc')).status).toBe(404);
    });

    it('lists staff account-wide and per location, and fetches one', async () => {
      const all = await getJson(sim, token, '/staff');
      expect(all).toHaveLength(sim.data.staff.size);
      const atLocation = await getJson(sim, token, '/staff?locationId=1002');
      expect(atLocation.map((s) => s.professionalId).sort()).toEqual(
        [...sim.data.locationStaff.get(1002)!].sort(),
      );
      expect(atLocation[0]).toMatchObject({
        professionalId: expect.any(Number),
        fullName: expect.any(String),
        timeZoneCode: { timeZoneCode: expect.stringMatching(/^America\//) },
      });
      const id = atLocation[0]!.professionalId as number;
      expect(await getJson<Json>(sim, token, `/staff/${id}`)).toEqual(sim.data.staff.get(id));
      expect((await get(sim, token, '/staff/999999')).status).toBe(404);
      expect((await get(sim, token, '/staff?locationId=999999')).status).toBe(404);
    });

    it('lists services account-wide, per location and per staff member', async () => {
      expect(await getJson(sim, token, '/services')).toHaveLength(sim.data.services.size);
      const atLocation = await getJson(sim, token, '/services?locationId=1004');
      expect(atLocation.map((s) => s.reasonId).sort()).toEqual(
        [...sim.data.locationServices.get(1004)!].sort(),
      );
      const [staffId, offered] = [...sim.data.staffServices.get(1004)!][0]!;
      const byStaff = await getJson(sim, token, `/services?locationId=1004&staffId=${staffId}`);
      expect(byStaff.map((s) => s.reasonId).sort()).toEqual([...offered].sort());
      const outsider = [...sim.data.staff.keys()].find((id) => !sim.data.locationStaff.get(1004)!.has(id))!;
      expect(await getJson(sim, token, `/services?locationId=1004&staffId=${outsider}`)).toEqual([]);
      expect((await get(sim, token, `/services?locationId=999999&staffId=${staffId}`)).status).toBe(404);
      const one = await getJson<Json>(sim, token, '/services/3001');
      expect(one).toMatchObject({ reasonId: 3001, reasonType: expect.stringMatching(/^(SERVICE|CLASS)$/) });
      expect(one.description).toContain('\u0000');
      expect((await get(sim, token, '/services/999999')).status).toBe(404);
    });

    it('answers 404 to unknown paths and reflects mutations of the data', async () => {
      expect((await get(sim, token, '/appointments')).status).toBe(404);
      expect((await get(sim, token, '/locations/1001/staff')).status).toBe(404);
      sim.data.update('location', 1001, { locationName: 'Renamed ✨' });
      expect((await getJson<Json>(sim, token, '/locations/1001')).locationName).toBe('Renamed ✨');
      const staffId = [...sim.data.locationStaff.get(1001)!][0]!;
      sim.data.unlink('staff', 1001, staffId);
      const staff = await getJson(sim, token, '/staff?locationId=1001');
      expect(staff.map((s) => s.professionalId)).not.toContain(staffId);
    });

    it('serves byte-identical responses for the same seed', async () => {
      const other = await startSimulator({ seed: 7 });
      try {
        const otherToken = await login(other);
        const text = async (s: Simulator, t: string) => (await get(s, t, '/staff')).text();
        expect(await text(other, otherToken)).toBe(await text(sim, token));
      } finally {
        await other.close();
      }
    });
  });

  describe('faults', () => {
    it('status: 429 with Retry-After, for the matching calls only', async () => {
      sim.inject({
        path: '/staff',
        query: { locationId: '1003' },
        fault: { type: 'status', status: 429, retryAfter: '1' },
      });
      const limited = await get(sim, token, '/staff?locationId=1003');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('1');
      expect((await get(sim, token, '/staff?locationId=1002')).status).toBe(200);
      expect((await get(sim, token, '/services?locationId=1003')).status).toBe(200);
    });

    it('afterCalls and times: a 401 on the 3rd call only, and the remover stops a rule', async () => {
      sim.inject({ path: /^\/locations/, afterCalls: 2, times: 1, fault: { type: 'status', status: 401 } });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(sim, token, '/locations')).status);
      expect(statuses).toEqual([200, 200, 401, 200]);
      const remove = sim.inject({ fault: { type: 'status', status: 503, body: 'down' } });
      const down = await get(sim, token, '/services');
      expect([down.status, await down.text()]).toEqual([503, 'down']);
      remove();
      expect((await get(sim, token, '/services')).status).toBe(200);
    });

    it('hang: never answers until the client aborts', async () => {
      sim.resetCalls();
      sim.inject({ path: '/locations', times: 1, fault: { type: 'hang' } });
      await expect(get(sim, token, '/locations', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
      expect(sim.calls[0]).toMatchObject({ path: '/locations', status: 0 });
      expect((await get(sim, token, '/locations')).status).toBe(200);
    });

    it('stall: headers and half the body, then nothing', async () => {
      sim.inject({ path: '/staff', times: 1, fault: { type: 'stall' } });
      const response = await get(sim, token, '/staff', { signal: AbortSignal.timeout(300) });
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    });

    it('truncated: half the body, then the connection closes', async () => {
      sim.inject({ path: '/staff', times: 1, fault: { type: 'truncated' } });
      const response = await get(sim, token, '/staff');
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    });

    it('html: a 200 HTML page', async () => {
      sim.inject({ path: '/locations', times: 1, fault: { type: 'html' } });
      const response = await get(sim, token, '/locations');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
    });

    it('drop-id: one record loses its id field', async () => {
      sim.inject({ path: '/locations', times: 1, fault: { type: 'drop-id' } });
      const locations = await getJson(sim, token, '/locations');
      expect(locations).toHaveLength(sim.data.locations.size);
      expect(locations.filter((l) => !('locationId' in l))).toHaveLength(1);
      expect([...sim.data.locations.values()].every((l) => typeof l.locationId === 'number')).toBe(true);
    });

    it('revoke: the call gets 401 and the token stays dead', async () => {
      sim.inject({ path: '/services', times: 1, fault: { type: 'revoke' } });
      expect((await get(sim, token, '/services')).status).toBe(401);
      expect((await get(sim, token, '/locations')).status).toBe(401);
      token = await login(sim);
      expect((await get(sim, token, '/services')).status).toBe(200);
    });
  });

  describe('call log and stats', () => {
    it('records every call with pathname, query, status and authorization', async () => {
      sim.resetCalls();
      expect(sim.stats().logins).toBe(0);
      token = await login(sim);
      await get(sim, token, '/staff?locationId=1002');
      await get(sim, undefined, '/locations');
      expect(sim.calls.map((c) => [c.method, c.path, c.status, c.authorized])).toEqual([
        ['GET', '/sessionToken', 200, true],
        ['GET', '/staff', 200, true],
        ['GET', '/locations', 401, false],
      ]);
      expect(sim.calls[1]!.query).toEqual({ locationId: '1002' });
      for (const call of sim.calls) expect(call.finishedAt).toBeGreaterThanOrEqual(call.startedAt);
      expect(sim.stats().logins).toBe(1);
    });

    it('measures requests in flight under latency', async () => {
      sim.resetCalls();
      sim.setLatency(300);
      try {
        const pending = Array.from({ length: 5 }, () => get(sim, token, '/locations'));
        const statuses = (await Promise.all(pending)).map((r) => r.status);
        expect(statuses).toEqual([200, 200, 200, 200, 200]);
        expect(sim.stats().maxInFlight).toBe(5);
        // The server counts a request done at its 'close', which may trail the client's read.
        await expect.poll(() => sim.stats().inFlight).toBe(0);
        expect(sim.calls.every((c) => c.finishedAt - c.startedAt >= 290)).toBe(true);
      } finally {
        sim.setLatency(0);
      }
    });
  });
});

describe('simulator lifecycle', () => {
  it('close() ends hung requests and leaves no open socket', async () => {
    const sim = await startSimulator();
    const t = await login(sim);
    sim.inject({ fault: { type: 'hang' } });
    // Settle into a value at once: the rejection arrives during close(), before any await on it.
    const hung = get(sim, t, '/locations').then(
      () => 'answered',
      () => 'failed',
    );
    await sleep(50);
    expect(sim.stats()).toMatchObject({ inFlight: 1 });
    expect(sim.stats().openSockets).toBeGreaterThan(0);
    await sim.close();
    expect(await hung).toBe('failed');
    expect(sim.stats()).toMatchObject({ openSockets: 0, inFlight: 0 });
  });

  it('standalone prints how to connect and an access log without query strings', async () => {
    const lines: string[] = [];
    const sim = await runSimulatorCommand(
      { seed: 3 },
      { out: (line) => lines.push(line), handleSignals: false },
    );
    try {
      expect(lines[0]).toBe(`TimeTap simulator listening on ${sim.url}`);
      expect(lines).toContain(`TIMETAP_BASE_URL=${sim.url}`);
      expect(lines).toContain(`TIMETAP_API_KEY=${sim.credentials.apiKey}`);
      expect(lines).toContain(`TIMETAP_PRIVATE_KEY=${sim.credentials.privateKey}`);
      expect(lines).toContain('(5 locations, 20 staff, 15 services; Ctrl-C to stop)');
      const banner = lines.length;
      await login(sim);
      await sleep(20);
      expect(lines.slice(banner)).toEqual(['GET /sessionToken 200']);
    } finally {
      await sim.close();
    }
  });
});
