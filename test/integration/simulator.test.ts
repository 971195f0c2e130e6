import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDemoSimulator } from '../../src/commands/demo-simulator.js';
import { type Simulator, startSimulator } from '../../src/simulator/index.js';
import { runSimulatorCommand } from '../../src/simulator/standalone.js';
import { runCli } from '../helpers/cli.js';
import { login, loginUrl, md5, type SimulatorEndpoint } from '../helpers/simulator-login.js';

type Json = Record<string, unknown>;

function get(sim: SimulatorEndpoint, token: string | undefined, path: string, init: RequestInit = {}) {
  return fetch(`${sim.url}${path}`, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function getJson<T = Json[]>(sim: SimulatorEndpoint, token: string, path: string): Promise<T> {
  const response = await get(sim, token, path);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  return (await response.json()) as T;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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
      // Sparse or full, every staff object carries its id and the documented time zone object.
      for (const staff of atLocation) {
        expect(staff).toMatchObject({
          professionalId: expect.any(Number),
          timeZoneCode: { timeZoneCode: expect.stringMatching(/^America\//) },
        });
      }
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
      // Someone who does not work here offers nothing here: an empty filtered list, 404 by default.
      expect((await get(sim, token, `/services?locationId=1004&staffId=${outsider}`)).status).toBe(404);
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
      // `export` lines, so that pasted into a shell they reach the commands started after them.
      expect(lines).toContain(`export TIMETAP_BASE_URL=${sim.url}`);
      expect(lines).toContain(`export TIMETAP_API_KEY=${sim.credentials.apiKey}`);
      expect(lines).toContain(`export TIMETAP_PRIVATE_KEY=${sim.credentials.privateKey}`);
      expect(lines).toContain('account: 5 locations, 20 staff, 15 services, 20 clients');
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^appointments: \d+ from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d; Ctrl-C stops the simulator$/,
        ),
      );
      expect(lines).toContain('switches: token max calls unlimited; lists unpaged; empty filtered list 404');
      const banner = lines.length;
      await login(sim);
      await sleep(20);
      expect(lines.slice(banner)).toEqual(['GET /sessionToken 200']);
    } finally {
      await sim.close();
    }
  });

  it("standalone without shape options serves the demo's account, keys included, with a year of history", async () => {
    const lines: string[] = [];
    const standalone = await runSimulatorCommand(
      {},
      { out: (line) => lines.push(line), handleSignals: false },
    );
    const demo = await startDemoSimulator();
    try {
      expect(standalone.credentials).toEqual(demo.credentials);
      expect(standalone.data.snapshot()).toEqual(demo.data.snapshot());
      expect(lines).toContain("account (the demo's): 8 locations, 32 staff, 24 services, 32 clients");
      const dates = [...standalone.data.appointments.values()].map((a) => Date.parse(a.startDate));
      expect((Date.now() - Math.min(...dates)) / 86_400_000).toBeGreaterThan(364);
      const fewer = await runSimulatorCommand({ historyDays: 3 }, { out: () => {}, handleSignals: false });
      try {
        const days = [...fewer.data.appointments.values()].map((a) => Date.parse(a.startDate));
        expect((Date.now() - Math.min(...days)) / 86_400_000).toBeLessThan(4);
      } finally {
        await fewer.close();
      }
    } finally {
      await standalone.close();
      await demo.close();
    }
  });
});

async function status(sim: SimulatorEndpoint, token: string, path: string): Promise<number> {
  const response = await get(sim, token, path);
  await response.arrayBuffer(); // drain, so that the connection is reused
  return response.status;
}

const idsOf = (objects: Json[], field: string) => objects.map((o) => o[field] as number);
const ascending = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b);

describe('switch: session token dies after N data calls', () => {
  const unknownTokenBody = async (sim: Simulator) =>
    (await get(sim, `st:api:api:${'0'.repeat(32)}`, '/locations')).text();

  it('N=1: the first data call succeeds, the second and every later one get 401; logins still work', async () => {
    const sim = await startSimulator({ tokenMaxCalls: 1 });
    try {
      const t = await login(sim);
      expect(await status(sim, t, '/locations')).toBe(200);
      const dead = await get(sim, t, '/staff');
      expect(dead.status).toBe(401);
      expect(await dead.text()).toBe(await unknownTokenBody(sim));
      expect(await status(sim, t, '/locations')).toBe(401);
      // A fresh login gets a fresh budget, however many logins came before.
      for (let i = 0; i < 3; i++) {
        const fresh = await login(sim);
        expect(await status(sim, fresh, '/services')).toBe(200);
        expect(await status(sim, fresh, '/services')).toBe(401);
      }
      expect(sim.calls.filter((c) => c.path !== '/sessionToken').map((c) => c.authorized)).toEqual([
        true,
        false,
        false,
        false, // the unknown-token probe
        ...[true, false, true, false, true, false],
      ]);
    } finally {
      await sim.close();
    }
  });

  it('N=3: every endpoint counts (404s included), tokens are independent, a dead token stays dead', async () => {
    const sim = await startSimulator({ tokenMaxCalls: 3 });
    try {
      const a = await login(sim);
      const b = await login(sim);
      expect(await status(sim, a, '/locations')).toBe(200);
      expect(await status(sim, a, '/locations/999999')).toBe(404);
      expect(await status(sim, b, '/staff')).toBe(200);
      expect(await status(sim, b, '/services?locationId=1001')).toBe(200);
      expect(await status(sim, a, '/staff?locationId=1001')).toBe(200);
      expect(await status(sim, a, '/locations')).toBe(401);
      expect(await status(sim, b, '/locations/1001')).toBe(200);
      expect(await status(sim, b, '/locations/1001')).toBe(401);
      expect(await status(sim, a, '/locations')).toBe(401);
    } finally {
      await sim.close();
    }
  });

  it('setTokenMaxCalls applies to later calls; existing tokens keep their used count', async () => {
    const sim = await startSimulator();
    try {
      const t = await login(sim);
      for (let i = 0; i < 5; i++) expect(await status(sim, t, '/locations')).toBe(200);
      sim.setTokenMaxCalls(6);
      expect(await status(sim, t, '/locations')).toBe(200);
      expect(await status(sim, t, '/locations')).toBe(401);
      const u = await login(sim);
      for (let i = 0; i < 6; i++) expect(await status(sim, u, '/staff')).toBe(200);
      sim.setTokenMaxCalls(undefined);
      // u had used 6: unlimited again, it goes on.
      for (let i = 0; i < 10; i++) expect(await status(sim, u, '/staff')).toBe(200);
      sim.setTokenMaxCalls(0);
      expect(await status(sim, await login(sim), '/staff')).toBe(401);
      expect(() => sim.setTokenMaxCalls(-1)).toThrow(RangeError);
      expect(() => sim.setTokenMaxCalls(1.5)).toThrow(RangeError);
    } finally {
      await sim.close();
    }
  });

  it('a fault that answers before the token check does not count', async () => {
    const sim = await startSimulator({ tokenMaxCalls: 1 });
    try {
      const t = await login(sim);
      sim.inject({ path: '/locations', times: 2, fault: { type: 'status', status: 503 } });
      expect(await status(sim, t, '/locations')).toBe(503);
      expect(await status(sim, t, '/locations')).toBe(503);
      expect(await status(sim, t, '/locations')).toBe(200);
      expect(await status(sim, t, '/locations')).toBe(401);
    } finally {
      await sim.close();
    }
  });
});

describe('switch: paged lists', () => {
  let sim: Simulator;
  let token: string;

  // 130 staff so that the default cap of 100 is reachable; 30 staff and 20 services per location.
  beforeAll(async () => {
    sim = await startSimulator({
      seed: 5,
      locations: 4,
      staff: 130,
      staffPerLocation: 30,
      servicesPerLocation: 20,
    });
    token = await login(sim);
  });
  afterEach(() => sim.setListPaging({ mode: 'all' }));
  afterAll(() => sim.close());

  /** Every page of `path` at `pageSize` until the first short one, and the sizes seen. */
  async function allPages(path: string, pageSize: number): Promise<{ ids: number[]; sizes: number[] }> {
    const ids: number[] = [];
    const sizes: number[] = [];
    const sep = path.includes('?') ? '&' : '?';
    for (let page = 1; ; page++) {
      const items = await getJson(sim, token, `${path}${sep}pageNumber=${page}&pageSize=${pageSize}`);
      sizes.push(items.length);
      ids.push(...items.map((o) => (o.professionalId ?? o.reasonId ?? o.locationId) as number));
      if (items.length < pageSize) return { ids, sizes };
    }
  }

  it("'all' (the default) ignores pageNumber and pageSize, even invalid ones", async () => {
    for (const query of ['pageNumber=2&pageSize=3', 'pageSize=0', 'pageNumber=abc', 'pageNumber=-1']) {
      expect(await getJson(sim, token, `/staff?${query}`)).toHaveLength(130);
      expect(await getJson(sim, token, `/services?locationId=1001&${query}`)).toHaveLength(20);
    }
  });

  it('pages every list kind in id order, after filtering, with a short last page and [] past the end', async () => {
    sim.setListPaging({ mode: 'paged', defaultPageSize: 7, maxPageSize: 10 });
    const [staffId, offered] = [...sim.data.staffServices.get(1002)!].find(([, ids]) => ids.size > 1)!;
    const cases: Array<[string, Iterable<number>]> = [
      ['/locations', sim.data.locations.keys()],
      ['/staff', sim.data.staff.keys()],
      ['/staff?locationId=1002', sim.data.locationStaff.get(1002)!],
      ['/services', sim.data.services.keys()],
      ['/services?locationId=1002', sim.data.locationServices.get(1002)!],
      [`/services?locationId=1002&staffId=${staffId}`, offered],
    ];
    for (const [path, expected] of cases) {
      const want = ascending(expected);
      const { ids, sizes } = await allPages(path, 2);
      expect(ids, path).toEqual(want);
      expect(sizes.slice(0, -1).every((n) => n === 2)).toBe(true);
      const sep = path.includes('?') ? '&' : '?';
      const past = await get(sim, token, `${path}${sep}pageNumber=${Math.ceil(want.length / 2) + 5}`);
      expect([past.status, await past.json()]).toEqual([200, []]);
    }
  });

  it('uses the default page size without pageSize, page 1 without pageNumber, and caps silently', async () => {
    sim.setListPaging({ mode: 'paged', defaultPageSize: 7, maxPageSize: 10 });
    const sorted = ascending(sim.data.staff.keys());
    expect(idsOf(await getJson(sim, token, '/staff'), 'professionalId')).toEqual(sorted.slice(0, 7));
    expect(idsOf(await getJson(sim, token, '/staff?pageNumber=2'), 'professionalId')).toEqual(
      sorted.slice(7, 14),
    );
    expect(idsOf(await getJson(sim, token, '/staff?pageSize=50&pageNumber=2'), 'professionalId')).toEqual(
      sorted.slice(10, 20),
    );
    sim.setListPaging({ mode: 'paged' });
    expect(await getJson(sim, token, '/staff')).toHaveLength(25);
    expect(await getJson(sim, token, '/staff?pageSize=1000')).toHaveLength(100);
    expect(await getJson(sim, token, '/staff?pageSize=1000&pageNumber=2')).toHaveLength(30);
  });

  it('answers 400 to a pageNumber or pageSize that is not an integer >= 1', async () => {
    sim.setListPaging({ mode: 'paged' });
    for (const bad of ['0', '-1', '1.5', 'abc', '', '2x', '1e2']) {
      for (const param of ['pageNumber', 'pageSize']) {
        for (const path of ['/locations', '/staff?locationId=1001', '/services?locationId=1001']) {
          const sep = path.includes('?') ? '&' : '?';
          const response = await get(sim, token, `${path}${sep}${param}=${bad}`);
          expect(response.status, `${path} ${param}=${bad}`).toBe(400);
          expect(await response.json()).toHaveProperty('error');
        }
      }
    }
    expect(() => sim.setListPaging({ mode: 'paged', maxPageSize: 0 })).toThrow(RangeError);
  });

  it('pages past hidden objects: they are not counted in any page', async () => {
    sim.setListPaging({ mode: 'paged', defaultPageSize: 3 });
    const sorted = ascending(sim.data.locations.keys());
    sim.data.hide('location', sorted[1]!);
    try {
      const page = await getJson(sim, token, '/locations');
      expect(idsOf(page, 'locationId')).toEqual([sorted[0], sorted[2], sorted[3]]);
    } finally {
      sim.data.unhide('location', sorted[1]!);
    }
  });
});

describe('switch: what an empty filtered list answers', () => {
  let sim: Simulator;
  let token: string;
  let empty: number; // a location with nobody and nothing
  let idle: number; // a staff member at 1001 who offers nothing there
  let outsider: number; // a staff member who does not work at 1001

  beforeAll(async () => {
    sim = await startSimulator({ seed: 9 });
    token = await login(sim);
    empty = sim.data.addLocation();
    idle = [...sim.data.locationStaff.get(1001)!][0]!;
    for (const serviceId of [...sim.data.staffServices.get(1001)!.get(idle)!]) {
      sim.data.unlinkStaffService(1001, idle, serviceId);
    }
    outsider = [...sim.data.staff.keys()].find((id) => !sim.data.locationStaff.get(1001)!.has(id))!;
  });
  afterEach(() => {
    sim.setEmptyListStatus(404);
    sim.setListPaging({ mode: 'all' });
  });
  afterAll(() => sim.close());

  const emptyFiltered = () => [
    `/staff?locationId=${empty}`,
    `/services?locationId=${empty}`,
    `/services?locationId=1001&staffId=${idle}`,
    `/services?locationId=1001&staffId=${outsider}`,
    `/services?locationId=${empty}&staffId=${idle}`,
  ];
  const unknownLocation = [
    '/staff?locationId=999999',
    '/services?locationId=999999',
    '/services?locationId=999999&staffId=2001',
  ];

  it('404 by default: each empty filtered list kind and an unknown location', async () => {
    for (const path of [...emptyFiltered(), ...unknownLocation]) {
      const response = await get(sim, token, path);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'Not Found' });
    }
    // Non-empty filtered lists are unaffected.
    expect(await getJson(sim, token, '/staff?locationId=1001')).not.toHaveLength(0);
  });

  it('200 with [] when switched, while an unknown location stays 404', async () => {
    sim.setEmptyListStatus(200);
    for (const path of emptyFiltered()) expect(await getJson(sim, token, path), path).toEqual([]);
    for (const path of unknownLocation) expect(await status(sim, token, path), path).toBe(404);
  });

  it('the option sets the initial value', async () => {
    const lenient = await startSimulator({ emptyListStatus: 200 });
    try {
      const t = await login(lenient);
      const location = lenient.data.addLocation();
      expect(await getJson(lenient, t, `/staff?locationId=${location}`)).toEqual([]);
      expect(await status(lenient, t, '/staff?locationId=999999')).toBe(404);
    } finally {
      await lenient.close();
    }
  });

  it('account-wide lists answer [] when empty, in both modes', async () => {
    const bare = await startSimulator({ locations: 0, staff: 0, services: 0 });
    try {
      const t = await login(bare);
      for (const emptyListStatus of [404, 200] as const) {
        bare.setEmptyListStatus(emptyListStatus);
        for (const path of ['/locations', '/staff', '/services'])
          expect(await getJson(bare, t, path)).toEqual([]);
      }
    } finally {
      await bare.close();
    }
  });

  it('paged: page 1 of an empty filtered list is 404, a page past the end of a non-empty one is []', async () => {
    sim.setListPaging({ mode: 'paged' });
    expect(await status(sim, token, `/staff?locationId=${empty}&pageNumber=1`)).toBe(404);
    expect(await getJson(sim, token, '/staff?locationId=1001&pageNumber=9')).toEqual([]);
    sim.setEmptyListStatus(200);
    expect(await getJson(sim, token, `/staff?locationId=${empty}&pageNumber=1`)).toEqual([]);
  });

  it('a list emptied by hiding counts as empty', async () => {
    const staffHere = [...sim.data.locationStaff.get(1002)!];
    for (const id of staffHere) sim.data.hide('staff', id);
    try {
      expect(await status(sim, token, '/staff?locationId=1002')).toBe(404);
      sim.setEmptyListStatus(200);
      expect(await getJson(sim, token, '/staff?locationId=1002')).toEqual([]);
    } finally {
      for (const id of staffHere) sim.data.unhide('staff', id);
    }
  });
});

describe('objects hidden from lists', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 4 });
    token = await login(sim);
  });
  afterAll(() => sim.close());

  it('a hidden location is in no list, answers at its own URL, and its own lists still answer', async () => {
    sim.data.hide('location', 1002);
    expect(idsOf(await getJson(sim, token, '/locations'), 'locationId')).not.toContain(1002);
    expect(await getJson<Json>(sim, token, '/locations/1002')).toEqual(sim.data.locations.get(1002));
    expect(ascending(idsOf(await getJson(sim, token, '/staff?locationId=1002'), 'professionalId'))).toEqual(
      ascending(sim.data.locationStaff.get(1002)!),
    );
    expect(await getJson(sim, token, '/services?locationId=1002')).toHaveLength(8);
    sim.data.unhide('location', 1002);
    expect(idsOf(await getJson(sim, token, '/locations'), 'locationId')).toContain(1002);
  });

  it('a hidden staff member is in no staff list but answers at their own URL', async () => {
    const staffId = [...sim.data.locationStaff.get(1003)!][0]!;
    const where = [...sim.data.locationStaff].filter(([, ids]) => ids.has(staffId)).map(([id]) => id);
    sim.data.hide('staff', staffId);
    expect(idsOf(await getJson(sim, token, '/staff'), 'professionalId')).not.toContain(staffId);
    for (const locationId of where) {
      const here = await getJson(sim, token, `/staff?locationId=${locationId}`);
      expect(idsOf(here, 'professionalId')).not.toContain(staffId);
    }
    expect(await status(sim, token, `/staff/${staffId}`)).toBe(200);
    sim.data.unhide('staff', staffId);
    expect(idsOf(await getJson(sim, token, '/staff?locationId=1003'), 'professionalId')).toContain(staffId);
  });

  it('a hidden service is in no service list (per staff member included) but answers at its own URL', async () => {
    const [staffId, offered] = [...sim.data.staffServices.get(1004)!].find(([, ids]) => ids.size > 1)!;
    const serviceId = [...offered][0]!;
    sim.data.hide('service', serviceId);
    for (const path of [
      '/services',
      '/services?locationId=1004',
      `/services?locationId=1004&staffId=${staffId}`,
    ]) {
      expect(idsOf(await getJson(sim, token, path), 'reasonId'), path).not.toContain(serviceId);
    }
    expect(await getJson<Json>(sim, token, `/services/${serviceId}`)).toMatchObject({ reasonId: serviceId });
    sim.data.unhide('service', serviceId);
    const byStaff = await getJson(sim, token, `/services?locationId=1004&staffId=${staffId}`);
    expect(idsOf(byStaff, 'reasonId')).toContain(serviceId);
  });
});

describe('sparse objects over HTTP', () => {
  it('serves the documented shapes exactly, at their own URLs and in lists', async () => {
    const sim = await startSimulator();
    try {
      const t = await login(sim);
      expect(Object.keys(await getJson<Json>(sim, t, '/staff/2004')).sort()).toEqual(
        ['businessId', 'email', 'professionalId', 'timeZoneCode', 'userName'].sort(),
      );
      expect(Object.keys(await getJson<Json>(sim, t, '/services/3003')).sort()).toEqual(
        ['businessId', 'reasonDesc', 'reasonId', 'visitMinutes'].sort(),
      );
      const locations = await getJson(sim, t, '/locations');
      expect(Object.keys(locations.find((l) => l.locationId === 1005)!).sort()).toEqual(
        ['businessId', 'createdDate', 'locationId', 'locationName', 'locationType', 'privateUrl'].sort(),
      );
    } finally {
      await sim.close();
    }
  });
});

describe('simulator command switches', () => {
  it('runSimulatorCommand turns paged mode on with the default page size and prints the switches', async () => {
    const lines: string[] = [];
    const sim = await runSimulatorCommand(
      { staff: 40, paged: true, tokenMaxCalls: 2, emptyListStatus: 200, quiet: true },
      { out: (line) => lines.push(line), handleSignals: false },
    );
    try {
      expect(lines).toContain(
        'switches: token max calls 2; lists paged (default page size 25, max 100); empty filtered list 200',
      );
      const t = await login(sim);
      expect(await getJson(sim, t, '/staff')).toHaveLength(25);
      expect(await getJson(sim, t, `/staff?locationId=${sim.data.addLocation()}`)).toEqual([]);
      expect(await status(sim, t, '/staff')).toBe(401);
    } finally {
      await sim.close();
    }
  });

  it('the CLI flags reach the simulator: --paged N, --token-max-calls, --empty-list-status', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main.ts',
        'simulator',
        '--port',
        '0',
        '--paged',
        '4',
        '--token-max-calls',
        '3',
        '--empty-list-status',
        '200',
      ],
      { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      let stdout = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      await expect.poll(() => stdout, { timeout: 20_000 }).toMatch(/switches: .*\n/);
      expect(stdout).toContain(
        'switches: token max calls 3; lists paged (default page size 4, max 100); empty filtered list 200',
      );
      const env = (name: string) => new RegExp(`^export ${name}=(.*)$`, 'm').exec(stdout)?.[1] ?? '';
      const remote: SimulatorEndpoint = {
        url: env('TIMETAP_BASE_URL'),
        credentials: { apiKey: env('TIMETAP_API_KEY'), privateKey: env('TIMETAP_PRIVATE_KEY') },
      };
      const t = await login(remote);
      expect(await getJson(remote, t, '/staff')).toHaveLength(4);
      expect(await getJson(remote, t, '/staff?pageNumber=99')).toEqual([]);
      expect(await status(remote, t, '/staff')).toBe(200);
      expect(await status(remote, t, '/staff')).toBe(401);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('the CLI rejects a bad --empty-list-status and a bad --paged size with exit code 2', async () => {
    for (const args of [
      ['--empty-list-status', '500'],
      ['--paged', '0'],
      ['--token-max-calls', '-1'],
      ['--hidden-rate-limit', '0'],
      ['--hidden-rate-limit', 'fast'],
    ]) {
      const result = await runCli(['simulator', '--port', '0', ...args], {}, 30_000);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/invalid|must be/i);
    }
  });
});

describe('simulator: a hidden rate limit', () => {
  it('answers 429 with Retry-After in seconds beyond it, counts them, and changes while running', async () => {
    const lines: string[] = [];
    const sim = await runSimulatorCommand(
      { port: 0, locations: 1, hiddenRateLimit: 2 },
      { out: (line) => lines.push(line), handleSignals: false },
    );
    try {
      expect(lines).toContain('hidden rate limit: 2 requests/s, then 429 with Retry-After');
      // A burst of 6: the bucket's 2 pass (and get 401: no token), the other 4 are refused first.
      const answers = await Promise.all(Array.from({ length: 6 }, () => get(sim, undefined, '/locations')));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([401, 401, 429, 429, 429, 429]);
      const refused = answers.find((a) => a.status === 429);
      expect(refused?.headers.get('retry-after')).toBe('1');
      expect(await refused?.json()).toMatchObject({ error: 'Too Many Requests' });
      expect(sim.stats().rateLimited).toBe(4);
      expect(sim.calls.filter((c) => c.status === 429)).toHaveLength(4);
      sim.setHiddenRateLimit(undefined);
      const after = await Promise.all(Array.from({ length: 6 }, () => get(sim, undefined, '/locations')));
      expect(after.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 401]);
      sim.resetCalls();
      expect(sim.stats().rateLimited).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
