/**
 * The status page's markup (status-page.ts serves it). Every value is interpolated through `html`,
 * which escapes it; the words are written so that the page reads without its colours: each state
 * is said in text ("stale", "held"), and the colour only repeats it.
 */
import { type Html, html, raw } from './html.js';
import type { AccountStatus, RunStatus, ScopeStatus, StatusPageData, WebhookEvent } from './status-page.js';

/** The one style sheet; its hash is the only style the page's Content-Security-Policy allows. */
export const STATUS_PAGE_CSS = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2125; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #d8dde2; overflow-wrap: break-word; }
td.text { overflow-wrap: anywhere; min-width: 16rem; } td.short { white-space: nowrap; }
th { background: #f2f4f6; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: .3rem 0; font-size: .9em; }
.muted { color: #5c6670; }
.state { font-weight: 600; padding: 0 .3rem; border-radius: 3px; }
.good { background: #dcf3e2; color: #14532d; } .warn { background: #fff1c2; color: #6b4800; } .bad { background: #fde0e0; color: #7f1d1d; }
.problem { background: #fde0e0; color: #7f1d1d; padding: .5rem .75rem; border-radius: 4px; }
`;

/** Longest part of a reason shown in a table; the whole text is one click away. */
const SHOWN_REASON_CHARS = 240;

export function renderStatusPage(data: StatusPageData): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>timetap-sync status</title>
<style>${raw(STATUS_PAGE_CSS)}</style>
</head>
<body>
<header>
<h1>timetap-sync</h1>
<p class="muted">As of ${time(data.generatedAt)}; this page reloads every minute.</p>
<nav><a href="admin/queues">Queues (Bull Board)</a><a href="metrics">Metrics</a><a href="readyz">Readiness</a></nav>
</header>
<main>
${data.problems.length === 0 ? '' : html`<p class="problem" role="alert">Could not read: ${data.problems.join('; ')}. What follows may be incomplete.</p>`}
${data.accounts.map((account) => accountSection(account, data.generatedAt))}
${runsSection(data.runs, data.accounts.length > 1)}
${webhookSection(data.webhooks)}
</main>
</body>
</html>
`;
}

function accountSection(account: AccountStatus, now: Date): Html {
  return html`<section>
<h2>Account <code>${account.name}</code></h2>
<p>${verdict(account)}</p>
${account.freshness.length === 0 ? html`<p class="muted">No run yet.</p>` : freshnessTable(account.freshness, now)}
<h3>Request budget towards TimeTap</h3>
<p>${account.requestRate === null ? html`<span class="muted">unknown (Redis could not be read)</span>` : account.requestRate.text}</p>
${account.doctor ? doctorSection(account.doctor) : ''}
</section>`;
}

/** The one sentence an analyst needs: is the mirror (its full scope) fresh and complete? */
function verdict(account: AccountStatus): Html {
  const full = account.freshness.find((f) => f.scope === 'full');
  if (!full) return html`${state('bad', 'no full sync yet')} The mirror has never been synced completely.`;
  const interval = account.scheduleIntervalSeconds;
  const age = duration(full.ageSeconds);
  if (full.lastCompleteRunId === null) {
    return html`${state('bad', 'never complete')} No full sync has succeeded; the first started ${age} ago.`;
  }
  const stale = interval !== null && full.ageSeconds > 2 * interval;
  const schedule = interval === null ? '' : ` (the schedule runs one every ${duration(interval)})`;
  const incomplete =
    full.appointmentsComplete === false
      ? html` ${state('warn', 'window incomplete')} The last run did not read every date of the appointment window.`
      : '';
  return html`${stale ? state('bad', 'stale') : state('good', 'fresh')} The last complete full sync (run #${full.lastCompleteRunId}) finished ${age} ago${schedule}.${incomplete}`;
}

function freshnessTable(rows: ScopeStatus[], now: Date): Html {
  return html`<table>
<thead><tr><th>Scope</th><th>Last complete run</th><th>Last finished run</th><th>Unsuccessful in a row</th><th>Appointments</th><th>Tombstoned by the last run</th><th>Delete guard</th></tr></thead>
<tbody>
${rows.map(
  (f) => html`<tr>
<td class="short">${f.scope}${f.running ? html`<br><span class="muted">run #${f.running.runId} running since ${duration(secondsBetween(f.running.since, now))}</span>` : ''}</td>
<td>${f.lastCompleteRunId === null ? html`<span class="muted">none</span>` : html`#${f.lastCompleteRunId}, ${duration(f.ageSeconds)} ago`}</td>
<td class="text">${f.lastRun ? html`#${f.lastRun.id} ${runState(f.lastRun.status)}${f.lastRun.reasons ? reasons(f.lastRun.reasons) : ''}` : html`<span class="muted">none</span>`}</td>
<td class="num">${f.unsuccessfulInARow === 0 ? '0' : state(f.unsuccessfulInARow >= 3 ? 'bad' : 'warn', String(f.unsuccessfulInARow))}</td>
<td>${appointments(f)}</td>
<td class="num">${f.tombstonedRows ?? '–'}</td>
<td>${guard(f.guardHeldRows)}</td>
</tr>`,
)}
</tbody>
</table>`;
}

function appointments(f: ScopeStatus): Html | string {
  if (f.appointmentsComplete === null) return '–';
  const ranges = f.appointmentRanges ?? [];
  const summary = f.appointmentsComplete ? state('good', 'complete') : state('warn', 'incomplete');
  if (ranges.length === 0) return summary;
  return html`${summary}<br>${ranges.map(
    (r) =>
      html`<span class="muted">${r.startDate} to ${r.endDate}: ${r.complete ? 'complete' : 'incomplete'}</span><br>`,
  )}`;
}

function guard(held: number | null): Html | string {
  if (held === null) return '–';
  if (held === 0) return 'held nothing';
  return html`${state('bad', 'held')} ${held} row(s) may be gone; none was marked deleted`;
}

function doctorSection(doctor: NonNullable<AccountStatus['doctor']>): Html {
  return html`<h3>What <code>doctor</code> last found</h3>
<p class="muted">As of ${time(doctor.at)}.</p>
<table>
<thead><tr><th>Check</th><th>Result</th><th>Detail</th></tr></thead>
<tbody>
${doctor.checks.map(
  (c) =>
    html`<tr><td>${c.name}</td><td>${state(doctorClass(c.result), c.result)}</td><td>${c.detail}</td></tr>`,
)}
</tbody>
</table>`;
}

function doctorClass(result: string): 'good' | 'warn' | 'bad' {
  if (result === 'as-assumed') return 'good';
  return result === 'failed' ? 'bad' : 'warn';
}

function runsSection(runs: RunStatus[], showAccount: boolean): Html {
  return html`<section>
<h2>Latest runs</h2>
${
  runs.length === 0
    ? html`<p class="muted">No run yet.</p>`
    : html`<table>
<thead><tr><th>Run</th>${showAccount ? html`<th>Account</th>` : ''}<th>Scope</th><th>Trigger</th><th>Status</th><th>Started</th><th>Took</th><th>API calls</th><th>Why not a success</th></tr></thead>
<tbody>
${runs.map(
  (r) =>
    html`<tr><td class="short">#${r.id}</td>${showAccount ? html`<td class="short">${r.account}</td>` : ''}<td class="short">${r.scope === 'location' ? `location ${r.locationId}` : r.scope}</td><td class="short">${r.trigger}</td><td class="short">${runState(r.status)}</td><td class="short">${time(r.startedAt)}</td><td class="num">${r.durationSeconds === null ? '–' : duration(r.durationSeconds)}</td><td class="num">${r.apiCalls}</td><td class="text">${r.reasons && r.status !== 'succeeded' ? reasons(r.reasons) : ''}</td></tr>`,
)}
</tbody>
</table>`
}
</section>`;
}

function webhookSection(webhooks: StatusPageData['webhooks']): Html {
  const line = (label: string, event: WebhookEvent | null) =>
    html`<li>${label}: ${
      event === null
        ? html`<span class="muted">none</span>`
        : html`${event.at}${event.calendarId === undefined ? '' : `, appointment ${event.calendarId}`} (${event.outcome})${event.lagMs === undefined ? '' : html`, written <strong>${duration(event.lagMs / 1000)}</strong> after its webhook arrived`}`
    }</li>`;
  return html`<section>
<h2>Webhooks</h2>
${
  webhooks === null
    ? html`<p class="muted">Off (no WEBHOOK_SECRET): appointments change in the mirror at the next sync.</p>`
    : html`<ul>${line('Last received', webhooks.received)}${line('Last applied', webhooks.applied)}</ul>`
}
</section>`;
}

/** A run's reasons: the first line in the table, all of them one click away. */
function reasons(text: string): Html {
  const lines = text.split('\n');
  const first = lines[0] ?? '';
  const shown = first.length > SHOWN_REASON_CHARS ? `${first.slice(0, SHOWN_REASON_CHARS)}…` : first;
  if (lines.length === 1 && shown === first) return html`<br>${first}`;
  return html`<br>${shown}<details><summary>all ${lines.length} line(s), ${text.length} characters</summary><pre>${text}</pre></details>`;
}

function runState(status: string): Html {
  const kind =
    status === 'succeeded' ? 'good' : status === 'running' || status === 'partial' ? 'warn' : 'bad';
  return state(kind, status);
}

function state(kind: 'good' | 'warn' | 'bad', text: string): Html {
  return html`<span class="state ${kind}">${text}</span>`;
}

function time(at: Date): Html {
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h": the two largest units. */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ];
  const start = units.findIndex(([, size]) => s >= size);
  if (start < 0) return '0 s';
  return units
    .slice(start, start + 2)
    .map(([unit, size], i) => {
      const amount = i === 0 ? Math.floor(s / size) : Math.floor((s % (units[start]?.[1] ?? 1)) / size);
      return amount === 0 ? '' : `${amount} ${unit}`;
    })
    .filter(Boolean)
    .join(' ');
}
