import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator, webhookBody } from '../../src/simulator/index.js';
import { runSimulatorCommand } from '../../src/simulator/standalone.js';
import { freePort } from '../helpers/free-port.js';
import { login } from '../helpers/simulator-login.js';

const TODAY = '2025-03-10';

interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** How the receiver answers a POST: a status, after a delay; `hang` never answers. */
type Behaviour = { status: number; delayMs?: number } | 'hang';

/** A tiny webhook receiver: records every request, answers as told. */
async function startReceiver() {
  const received: Received[] = [];
  let behaviour: Behaviour = { status: 200 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const now = behaviour;
      if (now === 'hang') return;
      setTimeout(
        () => res.writeHead(now.status, { 'content-type': 'text/plain' }).end('ok'),
        now.delayMs ?? 0,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/timetap/hook`,
    received,
    answer(next: Behaviour) {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A port nothing listens on: one the system just handed out and took back. */
async function refusedUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}/hook`;
}

const idOf = (body: string) => (JSON.parse(body) as { calendarId: number }).calendarId;

describe('simulator webhooks', () => {
  let sim: Simulator;
  let receiver: Receiver;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 9, today: TODAY, locations: 2 });
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await sim.webhooksSettled();
    sim.setWebhook(undefined);
    sim.setPageChurn(undefined);
    sim.resetWebhooks();
    receiver.received.length = 0;
    receiver.answer({ status: 200 });
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  it('posts one webhook per mutation: book, reschedule, cancel, delete, each the appointment as it then is', async () => {
    sim.setWebhook({ url: receiver.url });
    const id = sim.data.bookAppointment({ startDate: '2025-03-11', startTime: 900 });
    // Asynchronous: the mutation has returned, and the delivery has only started.
    expect(sim.webhooks).toHaveLength(1);
    expect(sim.webhooks[0]).toMatchObject({ calendarId: id, kind: 'created', status: 0, finishedAt: 0 });
    expect(receiver.received).toHaveLength(0);
    const booked = webhookBody(sim.data.appointments.get(id)!, 'json');
    sim.data.rescheduleAppointment(id, '2025-03-12', 1000);
    const moved = webhookBody(sim.data.appointments.get(id)!, 'json');
    sim.data.cancelAppointment(id);
    const cancelled = webhookBody(sim.data.appointments.get(id)!, 'json');
    sim.data.deleteAppointment(id);
    await sim.webhooksSettled();

    expect(sim.webhooks.map((w) => [w.kind, w.calendarId, w.format, w.status])).toEqual([
      ['created', id, 'json', 200],
      ['edited', id, 'json', 200],
      ['edited', id, 'json', 200],
      ['deleted', id, 'json', 200],
    ]);
    for (const w of sim.webhooks) {
      expect(w.sentAt).toBeGreaterThan(0);
      expect(w.finishedAt).toBeGreaterThanOrEqual(w.sentAt);
      expect(w.error).toBeUndefined();
    }
    // Deliveries run side by side and may land in any order: compare as sets.
    expect(receiver.received).toHaveLength(4);
    expect(receiver.received.map((r) => r.body).sort()).toEqual([booked, moved, cancelled, cancelled].sort());
    for (const r of receiver.received) {
      expect(r).toMatchObject({ method: 'POST', path: '/timetap/hook', contentType: 'application/json' });
      expect(idOf(r.body)).toBe(id);
      // Nothing TimeTap does not document: no signature, no event name.
      expect(Object.keys(r.headers).sort()).toEqual(['connection', 'content-length', 'content-type', 'host']);
    }
    // The deletion posts the last state, marking nothing: the same bytes as the cancellation's.
    expect(sim.webhooks[3]!.body).toBe(cancelled);
    expect(JSON.parse(cancelled)).toMatchObject({
      calendarId: id,
      status: 'CANCELLED',
      startDate: '2025-03-12',
    });
  });

  it('updateAppointment is an edit too; client changes and other kinds post nothing', async () => {
    sim.setWebhook({ url: receiver.url });
    const [id] = sim.data.appointments.keys();
    sim.data.updateAppointment(id!, { subStatus: 'CONFIRMED' });
    const [clientId] = sim.data.clients.keys();
    sim.data.updateClient(clientId!, { firstName: 'Renamed' });
    sim.data.addClient();
    sim.data.addStaff();
    const [staffId] = sim.data.staff.keys();
    sim.data.update('staff', staffId!, { firstName: 'Renamed' });
    await sim.webhooksSettled();
    expect(sim.webhooks.map((w) => [w.kind, w.calendarId])).toEqual([['edited', id]]);
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ calendarId: id, subStatus: 'CONFIRMED' });
  });

  it("the page churn's book, cancel and delete each post one webhook", async () => {
    const token = await login(sim);
    sim.setWebhook({ url: receiver.url });
    sim.setPageChurn({ bookEvery: 1, cancelEvery: 1, deleteEvery: 1 });
    const before = sim.churnEvents().length;
    const params = new URLSearchParams({ startDate: '2025-03-09', endDate: '2025-03-11', pageSize: '5' });
    const page = await fetch(`${sim.url}/appointmentList/report?${params}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(page.status).toBe(200);
    await page.arrayBuffer();
    await sim.webhooksSettled();
    const events = sim.churnEvents().slice(before);
    expect(events.map((e) => e.action)).toEqual(['book', 'cancel', 'delete']);
    const kind = { book: 'created', cancel: 'edited', delete: 'deleted' } as const;
    expect(sim.webhooks.map((w) => [w.kind, w.calendarId])).toEqual(
      events.map((e) => [kind[e.action], e.calendarId]),
    );
    expect(receiver.received.map((r) => idOf(r.body)).sort()).toEqual(events.map((e) => e.calendarId).sort());
  });

  it('is at most once: a receiver that answers 500 gets one POST, never a retry', async () => {
    receiver.answer({ status: 500 });
    sim.setWebhook({ url: receiver.url });
    const id = sim.data.bookAppointment();
    await sim.webhooksSettled();
    expect(sim.webhooks).toEqual([expect.objectContaining({ calendarId: id, status: 500 })]);
    await sleep(300); // room for a retry that must not come
    expect(receiver.received).toHaveLength(1);
    expect(sim.webhooks).toHaveLength(1);
  });

  it('records a refused connection as status 0, and the mutation neither throws nor waits', async () => {
    sim.setWebhook({ url: await refusedUrl() });
    const id = sim.data.bookAppointment();
    expect(sim.data.appointments.has(id)).toBe(true);
    await sim.webhooksSettled();
    expect(sim.webhooks).toEqual([
      expect.objectContaining({ calendarId: id, kind: 'created', status: 0, error: 'ECONNREFUSED' }),
    ]);
    expect(sim.webhooks[0]!.finishedAt).toBeGreaterThan(0);
  });

  it('gives up after timeoutMs on a receiver that never answers, without a retry', async () => {
    receiver.answer('hang');
    sim.setWebhook({ url: receiver.url, timeoutMs: 150 });
    const started = Date.now();
    sim.data.bookAppointment();
    await sim.webhooksSettled();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.webhooks).toEqual([expect.objectContaining({ status: 0, error: 'timeout after 150 ms' })]);
    await sleep(200);
    expect(receiver.received).toHaveLength(1);
  });

  it('webhooksSettled waits for every delivery started so far', async () => {
    receiver.answer({ status: 204, delayMs: 150 });
    sim.setWebhook({ url: receiver.url });
    const ids = [sim.data.bookAppointment(), sim.data.bookAppointment(), sim.data.bookAppointment()];
    await sleep(50);
    expect(sim.webhooks.every((w) => w.finishedAt === 0)).toBe(true);
    await sim.webhooksSettled();
    expect(sim.webhooks.map((w) => [w.calendarId, w.status])).toEqual(ids.map((id) => [id, 204]));
    expect(sim.webhooks.every((w) => w.finishedAt > 0)).toBe(true);
    // Nothing in flight: it resolves at once.
    await sim.webhooksSettled();
  });

  it('docs-example posts the malformed body with the given content type; mixed alternates', async () => {
    sim.setWebhook({ url: receiver.url, format: 'docs-example', contentType: 'text/plain' });
    const id = sim.data.bookAppointment();
    const appointment = sim.data.appointments.get(id)!;
    await sim.webhooksSettled();
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.contentType).toBe('text/plain');
    expect(got!.body).toBe(webhookBody(appointment, 'docs-example'));
    expect(() => JSON.parse(got!.body)).toThrow();
    expect(got!.body).toContain(`"calendarid": ${id}`);

    sim.resetWebhooks();
    sim.setWebhook({ url: receiver.url, format: 'mixed' });
    for (let i = 0; i < 4; i++) sim.data.bookAppointment();
    await sim.webhooksSettled();
    expect(sim.webhooks.map((w) => w.format)).toEqual(['json', 'docs-example', 'json', 'docs-example']);
    for (const w of sim.webhooks)
      expect(w.body).toBe(webhookBody(sim.data.appointments.get(w.calendarId)!, w.format));
  });

  it("an empty contentType sends no content-type header (the docs don't promise one)", async () => {
    sim.setWebhook({ url: receiver.url, contentType: '' });
    sim.data.bookAppointment();
    await sim.webhooksSettled();
    expect(receiver.received[0]!.contentType).toBeUndefined();
  });

  it('follows the lowercase switch in json, as the GET does', async () => {
    sim.setLowercaseCalendarId(true);
    try {
      sim.setWebhook({ url: receiver.url });
      const id = sim.data.bookAppointment();
      await sim.webhooksSettled();
      const body = JSON.parse(receiver.received[0]!.body) as Record<string, unknown>;
      expect(body.calendarid).toBe(id);
      expect(body).not.toHaveProperty('calendarId');
    } finally {
      sim.setLowercaseCalendarId(false);
    }
  });
});

describe('simulator webhooks at close', () => {
  it('close aborts a delivery in flight and records it; nothing is sent after', async () => {
    const receiver = await startReceiver();
    receiver.answer('hang');
    const sim = await startSimulator({ seed: 9, today: TODAY, locations: 1, webhook: { url: receiver.url } });
    try {
      sim.data.bookAppointment();
      await sleep(50);
      await sim.close();
      expect(sim.webhooks).toEqual([expect.objectContaining({ status: 0, error: 'simulator closed' })]);
      sim.data.bookAppointment();
      await sim.webhooksSettled();
      expect(sim.webhooks).toHaveLength(1);
    } finally {
      await sim.close();
      await receiver.close();
    }
  });
});

describe('standalone simulator with --webhook-url and --live-changes', () => {
  it('the account changes by itself and each change posts one webhook, logged without the query', async () => {
    const receiver = await startReceiver();
    const lines: string[] = [];
    const sim = await runSimulatorCommand(
      {
        seed: 4,
        locations: 1,
        today: TODAY,
        webhookUrl: `${receiver.url}?secret=s3cret`,
        webhookFormat: 'mixed',
        liveChanges: 25,
      },
      { out: (line) => lines.push(line), handleSignals: false },
    );
    try {
      expect(lines).toContain(`webhooks: each appointment change POSTed to ${receiver.url} (mixed)`);
      expect(lines).toContain('live changes: one appointment change every 25 ms');
      await expect.poll(() => sim.webhooks.length, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
      sim.setLiveChanges(undefined);
      await sim.webhooksSettled();
      const [first] = sim.webhooks;
      expect(sim.webhooks.slice(0, 5).map((w) => w.kind)).toEqual([
        'created',
        'edited',
        'edited',
        'deleted',
        'created',
      ]);
      expect(sim.webhooks.slice(0, 4).every((w) => w.calendarId === first!.calendarId)).toBe(true);
      expect(sim.data.appointments.has(first!.calendarId)).toBe(false);
      expect(receiver.received.length).toBe(sim.webhooks.length);
      expect(receiver.received.every((r) => r.path === '/timetap/hook?secret=s3cret')).toBe(true);
      const logged = lines.filter((line) => line.startsWith('webhook '));
      expect(logged).toContain(`webhook created ${first!.calendarId} json 200`);
      expect(lines.join('\n')).not.toContain('s3cret');
    } finally {
      await sim.close();
      await receiver.close();
    }
  });

  it('refuses --webhook-format without --webhook-url', async () => {
    await expect(
      runSimulatorCommand({ webhookFormat: 'json' }, { out: () => {}, handleSignals: false }),
    ).rejects.toThrow(/--webhook-url/);
  });
});
