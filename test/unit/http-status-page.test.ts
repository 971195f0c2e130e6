/**
 * The status page's markup, from data made here: every string a run, TimeTap or the database
 * could put on it is hostile (markup, quotes, NUL, lone surrogates, very long text), and the page
 * must show each as text, with no element or attribute of its own. The doctor part, which the
 * worker does not read yet, is rendered from a value constructed here.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from '../../src/http/html.js';
import { STATUS_PAGE_HEADERS, type StatusPageData } from '../../src/http/status-page.js';
import { renderStatusPage } from '../../src/http/status-page-html.js';

const SCRIPT = '<script>alert("x")</script>';
const ATTRIBUTE = `"><img src=x onerror='alert(1)'>`;
const hostile = (label: string) => `${label} ${SCRIPT} ${ATTRIBUTE} nul:\u0000 lone:\ud800 & done`;
const LONG = `first line ${'é'.repeat(5_000)}\nsecond ${SCRIPT}`;

/** The elements the page itself writes; anything else came from its data. */
const OWN_ELEMENTS = new Set(
  'html head meta title style body header h1 h2 h3 p nav a main section code span br table thead tbody tr th td strong time details summary pre ul li'.split(
    ' ',
  ),
);

function data(overrides: Partial<StatusPageData> = {}): StatusPageData {
  const at = new Date('2026-12-01T12:00:00Z');
  return {
    generatedAt: at,
    accounts: [
      {
        name: hostile('account'),
        scheduleIntervalSeconds: 3600,
        freshness: [
          {
            scope: 'full',
            lastCompleteRunId: 7,
            lastCompleteAt: new Date('2026-12-01T09:00:00Z'),
            ageSeconds: 3 * 3600,
            lastRun: { id: 9, status: 'partial', finishedAt: at, reasons: hostile('reason') },
            running: { runId: 10, since: new Date('2026-12-01T11:58:00Z') },
            unsuccessfulInARow: 2,
            tombstonedRows: 4,
            guardHeldRows: 12,
            appointmentRanges: [{ startDate: hostile('start'), endDate: '2026-12-31', complete: false }],
            appointmentsComplete: false,
          },
          {
            scope: hostile('scope'),
            lastCompleteRunId: null,
            lastCompleteAt: null,
            ageSeconds: 60,
            lastRun: null,
            running: null,
            unsuccessfulInARow: 0,
            tombstonedRows: null,
            guardHeldRows: null,
            appointmentRanges: null,
            appointmentsComplete: null,
          },
        ],
        requestRate: { text: hostile('rate'), rps: 5, adaptive: true, throttles: 3 },
        doctor: {
          at,
          checks: [
            { name: hostile('check'), result: 'as-assumed', detail: hostile('detail') },
            { name: 'report-order', result: hostile('result'), detail: 'ties reshuffled' },
            { name: 'login', result: 'failed', detail: 'keys refused' },
          ],
        },
      },
    ],
    runs: [
      {
        id: 9,
        account: hostile('run account'),
        scope: 'location',
        locationId: 1001,
        trigger: hostile('trigger'),
        status: 'failed',
        startedAt: at,
        durationSeconds: 75,
        apiCalls: 120,
        reasons: LONG,
      },
      {
        id: 8,
        account: 'default',
        scope: 'full',
        locationId: null,
        trigger: 'schedule',
        status: hostile('status'),
        startedAt: at,
        durationSeconds: null,
        apiCalls: 0,
        reasons: hostile('run reason'),
      },
    ],
    webhooks: {
      received: { at: hostile('at'), calendarId: 55, outcome: hostile('outcome') },
      applied: { at: '2026-12-01T11:59:00Z', calendarId: 55, outcome: 'stored', lagMs: 1500 },
    },
    problems: [hostile('problem')],
    ...overrides,
  };
}

describe('escapeHtml and html', () => {
  it('escapes markup and quotes, and replaces what HTML cannot hold', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    expect(escapeHtml('a\u0000b\u0007c\u007fd\tе\nf\r')).toBe('a\ufffdb\ufffdc\ufffdd\tе\nf\r');
    expect(escapeHtml('lone \ud800 and \udc00, a pair 😀 kept')).toBe(
      'lone \ufffd and \ufffd, a pair 😀 kept',
    );
  });

  it('escapes what it interpolates, unless it is markup the program wrote', () => {
    const inner = html`<b>${SCRIPT}</b>`;
    expect(html`<p>${inner}${[1, ' & ', null, undefined, false]}${raw('<br>')}</p>`.text).toBe(
      '<p><b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</b>1 &amp; <br></p>',
    );
  });
});

describe('the status page', () => {
  const page = renderStatusPage(data()).text;

  it('shows every hostile value as text: no element, attribute or character of its own', () => {
    const elements = [...page.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]?.toLowerCase());
    expect(elements.filter((name) => !OWN_ELEMENTS.has(name ?? ''))).toEqual([]);
    expect(page).not.toContain(SCRIPT);
    expect(page).not.toContain('<img');
    expect(page).not.toMatch(/<[^>]*onerror/i);
    expect(page).not.toContain('\u0000');
    expect(page).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    for (const label of ['account', 'reason', 'scope', 'rate', 'check', 'detail', 'result', 'trigger']) {
      expect(page).toContain(
        `${label} &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=&#39;alert(1)&#39;&gt; nul:\ufffd lone:\ufffd &amp; done`,
      );
    }
    // Attributes the page writes hold only its own values.
    const attributes = [...page.matchAll(/\s([a-z-]+)="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(attributes)).toEqual(
      new Set(['lang', 'charset', 'name', 'content', 'http-equiv', 'href', 'class', 'role', 'datetime']),
    );
  });

  it('says whether the mirror is fresh, and why a run was not a success, in words', () => {
    expect(page).toContain('<span class="state bad">stale</span>');
    expect(page).toContain('(run #7) finished 3 h ago (the schedule runs one every 1 h)');
    expect(page).toContain('window incomplete');
    expect(page).toContain(
      '<span class="state bad">held</span> 12 row(s) may be gone; none was marked deleted',
    );
    expect(page).toContain('run #10 running since 2 min');
    expect(page).toContain('written <strong>2 s</strong> after its webhook arrived');
    expect(page).toContain('<a href="admin/queues">Queues (Bull Board)</a>');
    const fresh = renderStatusPage(
      data({
        accounts: [
          { ...(data().accounts[0] as StatusPageData['accounts'][number]), scheduleIntervalSeconds: 7200 },
        ],
      }),
    ).text;
    expect(fresh).toContain('<span class="state good">fresh</span>');
  });

  it('shows the first line of a long reason, and all of it one click away', () => {
    expect(page).toContain(
      `first line ${'é'.repeat(229)}…<details><summary>all 2 line(s), ${LONG.length} characters</summary>`,
    );
    expect(page).toContain(`<pre>first line ${'é'.repeat(5_000)}\nsecond &lt;script&gt;`);
  });

  it('renders what doctor last found when there is a result, and nothing of it otherwise', () => {
    expect(page).toContain('What <code>doctor</code> last found');
    expect(page).toContain(
      '<td>login</td><td><span class="state bad">failed</span></td><td>keys refused</td>',
    );
    const [account] = data().accounts;
    const without = renderStatusPage(
      data({ accounts: [{ ...(account as StatusPageData['accounts'][number]), doctor: undefined }] }),
    );
    expect(without.text).not.toContain('doctor');
  });

  it('allows its own style sheet by its hash, and nothing else', () => {
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    const hash = createHash('sha256').update(style).digest('base64');
    const csp = STATUS_PAGE_HEADERS['Content-Security-Policy'];
    expect(csp).toContain(`style-src 'sha256-${hash}'`);
    expect(csp).toMatch(/^default-src 'none';/);
    expect([...page.matchAll(/<style>/g)]).toHaveLength(1);
    expect(page).not.toMatch(/ style="/);
  });
});
