import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Appointment,
  createSimulatorData,
  resolveShape,
  type Simulator,
  startSimulator,
  webhookBody,
} from '../../src/simulator/index.js';
import { login } from '../helpers/simulator-login.js';

const TODAY = '2025-03-10';
const data = createSimulatorData(resolveShape({ seed: 5, today: TODAY, locations: 2 }));
const some = (): Appointment => {
  const withEverything = [...data.appointments.values()].find((a) => a.client && a.fields.length > 0);
  if (!withEverything) throw new Error('the generated account has no appointment with fields');
  return withEverything;
};

/**
 * Undoes the three defects of the docs' example, and nothing else: a comma where one is missing
 * between a value's end and the next property, no comma before a closing bracket, the final brace.
 */
function repair(text: string): unknown {
  const commas = text.replace(/([\d"\]}el])\n(\s*")/g, '$1,\n$2');
  const noTrailing = commas.replace(/,(\n\s*[}\]])/g, '$1').replace(/,\s*$/, '');
  return JSON.parse(`${noTrailing}\n}`);
}

/** The appointment as JSON, with the id spelled as the docs' example spells it. */
function lowercased(appointment: Appointment): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(JSON.parse(JSON.stringify(appointment)) as Record<string, unknown>).map(([k, v]) => [
      k === 'calendarId' ? 'calendarid' : k,
      v,
    ]),
  );
}

describe('webhookBody docs-example: the malformed shape of the example in TimeTap docs', () => {
  const appointment = some();
  const body = webhookBody(appointment, 'docs-example');

  it('is not JSON', () => {
    expect(() => JSON.parse(body)).toThrow(SyntaxError);
  });

  it('names the appointment as `calendarid`, once, and never as `calendarId`', () => {
    expect(body).toContain(`"calendarid": ${appointment.calendarId}`);
    expect(body.match(/calendarid/gi)).toHaveLength(1);
    expect(body).not.toContain('"calendarId"');
  });

  it('has each of the three defects', () => {
    const lines = body.split('\n');
    // No comma between the first two properties.
    expect(lines[1]).toBe(`  "calendarid": ${appointment.calendarId}`);
    expect(lines[2]).toMatch(/^ {2}"businessId": \d+,$/);
    // A comma after the last member of nested objects and arrays, and of the top level.
    expect(body).toMatch(/,\n\s*\}/);
    expect(body).toMatch(/,\n\s*\]/);
    // The final closing brace is missing: the text ends with the last property and its comma.
    expect(body.trimEnd().endsWith(',')).toBe(true);
    expect(body.trimEnd()).toMatch(/^ {2}"createdDate": \d+,$/m);
    expect(body.trimEnd().split('\n').at(-1)).toMatch(/^ {2}"createdDate"/);
  });

  it('carries the same fields and values as the JSON body, once the defects are undone', () => {
    expect(repair(body)).toEqual(lowercased(appointment));
    // And the same for every generated appointment (sparse ones, empty `fields`, odd strings).
    for (const each of data.appointments.values())
      expect(repair(webhookBody(each, 'docs-example'))).toEqual(lowercased(each));
  });

  it('is pure: the same appointment gives the same bytes, and the appointment is untouched', () => {
    const before = JSON.stringify(appointment);
    expect(webhookBody(appointment, 'docs-example')).toBe(body);
    expect(JSON.stringify(appointment)).toBe(before);
  });

  it('works on a receiver test fixture: any object, an empty array and object, a lone property', () => {
    expect(
      webhookBody({ calendarId: 7, fields: [], extra: {}, note: 'a "quoted" line\n' }, 'docs-example'),
    ).toBe(`{
  "calendarid": 7
  "fields": [],
  "extra": {},
  "note": "a \\"quoted\\" line\\n",
`);
    // One property: no pair to drop a comma between.
    expect(webhookBody({ calendarId: 8 }, 'docs-example')).toBe('{\n  "calendarid": 8,\n');
  });

  it('json is plain JSON of the appointment, the id spelled as the lowercase switch says', () => {
    const appointment = some();
    expect(JSON.parse(webhookBody(appointment, 'json'))).toEqual(JSON.parse(JSON.stringify(appointment)));
    expect(webhookBody(appointment, 'json', true)).toContain(`"calendarid":${appointment.calendarId}`);
    expect(webhookBody(appointment, 'json', true)).not.toContain('"calendarId"');
  });
});

describe('webhookBody json: byte for byte what GET /appointments/{calendarId} serves', () => {
  let sim: Simulator;
  let token: string;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 5, today: TODAY, locations: 2 });
    token = await login(sim);
  });
  afterAll(() => sim.close());

  const served = async (calendarId: number) => {
    const response = await fetch(`${sim.url}/appointments/${calendarId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    return response.text();
  };

  it('for generated, booked, rescheduled and cancelled appointments, with either id spelling', async () => {
    const generated = [...sim.data.appointments.keys()].slice(0, 3);
    const booked = sim.data.bookAppointment();
    const moved = sim.data.bookAppointment();
    sim.data.rescheduleAppointment(moved, '2025-03-12', 1330);
    const cancelled = sim.data.bookAppointment();
    sim.data.cancelAppointment(cancelled);
    for (const lowercase of [false, true]) {
      sim.setLowercaseCalendarId(lowercase);
      for (const calendarId of [...generated, booked, moved, cancelled]) {
        const appointment = sim.data.appointments.get(calendarId)!;
        expect(webhookBody(appointment, 'json', lowercase)).toBe(await served(calendarId));
      }
    }
    sim.setLowercaseCalendarId(false);
  });
});

describe('setWebhook', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 5, today: TODAY, locations: 1 });
  });
  afterAll(() => sim.close());

  it('refuses a target it could never post to, at once rather than at the first change', () => {
    for (const target of [
      { url: 'not a url' },
      { url: 'ftp://127.0.0.1/hook' },
      { url: 'http://127.0.0.1/hook', format: 'xml' as 'json' },
      { url: 'http://127.0.0.1/hook', contentType: 'application/json\r\nx-evil: 1' },
      { url: 'http://127.0.0.1/hook', timeoutMs: 0 },
      { url: 'http://127.0.0.1/hook', timeoutMs: 1.5 },
    ]) {
      expect(() => sim.setWebhook(target), JSON.stringify(target)).toThrow(RangeError);
    }
  });

  it('sends nothing while no target is set', async () => {
    sim.setWebhook(undefined);
    sim.data.cancelAppointment(sim.data.bookAppointment());
    await sim.webhooksSettled();
    expect(sim.webhooks).toEqual([]);
  });
});
