/**
 * The body of a webhook: the appointment object, nothing around it (TimeTap documents no envelope,
 * no event name, no signature). Two spellings:
 * - `json`: exactly what `GET /appointments/{calendarId}` answers (the lowercase-id switch included);
 * - `docs-example`: the shape of the example payload in TimeTap's webhook docs, which is not JSON
 *   at all: `calendarid` in lower case, a comma after the last member of every object and array,
 *   no comma between the first two properties, and the final closing brace missing. A receiver
 *   that expects what the docs show must cope with it (or refuse it knowingly).
 * Pure: tests of a receiver call it to make bodies without a simulator.
 */
import { type Appointment, withLowercaseId } from './appointment-objects.js';
import type { RawObject } from './objects.js';
import { type AppointmentServing, serveAppointment } from './serving.js';

export type WebhookBodyFormat = 'json' | 'docs-example';

export const WEBHOOK_BODY_FORMATS: readonly WebhookBodyFormat[] = ['json', 'docs-example'];

const INDENT = '  ';

/**
 * The body posted for `appointment`, served as the GET serves it (`true`: the lowercase id only,
 * as before the variants). `docs-example` always spells the id `calendarid`, as the docs' example does.
 */
export function webhookBody(
  appointment: Appointment | Readonly<RawObject>,
  format: WebhookBodyFormat,
  serving: boolean | AppointmentServing = false,
): string {
  const how =
    typeof serving === 'boolean'
      ? { lowercaseCalendarId: serving, nonClientEntries: false, impossibleDates: false }
      : serving;
  const object = serveAppointment(appointment as Appointment, how);
  switch (format) {
    case 'json':
      return JSON.stringify(object);
    case 'docs-example':
      return docsExampleText(withLowercaseId(object));
    default: {
      const never: never = format;
      throw new RangeError(`simulator: unknown webhook body format ${String(never)}`);
    }
  }
}

/** Pretty-printed like the docs' example, with the example's three defects (see the header). */
function docsExampleText(object: RawObject): string {
  const entries = Object.entries(object).filter(([, value]) => value !== undefined);
  const lines = entries.map(([key, value], i) => {
    // The example forgets one comma between two properties: here, the first two.
    const comma = i === 0 && entries.length > 1 ? '' : ',';
    return `${INDENT}${JSON.stringify(key)}: ${loose(value, INDENT)}${comma}`;
  });
  // No closing brace: the example ends with the last property.
  return `{\n${lines.join('\n')}\n`;
}

/** A value pretty-printed with a comma after every member, the last one included. */
function loose(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + INDENT;
    const items = value.map((item) => `${inner}${loose(item ?? null, inner)},`);
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + INDENT;
    const members = entries.map(([key, v]) => `${inner}${JSON.stringify(key)}: ${loose(v, inner)},`);
    return `{\n${members.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
