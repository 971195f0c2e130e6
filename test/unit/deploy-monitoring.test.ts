/**
 * deploy/: the alert rules, their unit tests, the Prometheus configuration of the compose profile
 * and the Grafana dashboard. promtool (Debian's `prometheus` package, which .ci/run installs)
 * checks the rules and runs their tests, checks the configuration, and parses every dashboard
 * query (written into a rule file of its own); without promtool those tests are skipped and say
 * so. Every metric the rules, their tests and the dashboard name must be one the worker exports.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');
const RULE_TESTS = join(ROOT, 'deploy/prometheus/alerts.test.yml');
const CONFIG = join(ROOT, 'deploy/prometheus/prometheus.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/timetap-sync.json');

const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_PROMTOOL =
  'promtool is not installed, so the alert rules and dashboard queries were not checked ' +
  '(`apt-get install prometheus`; .ci/run installs it)';

function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: unknown }> };
};
const queries = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
);

describe('alert rules and dashboard, with promtool', () => {
  beforeAll(() => {
    // vitest's default reporter shows a skipped test's note only in verbose mode: say it here too.
    if (!hasPromtool) console.warn(`deploy/ monitoring tests skipped: ${NO_PROMTOOL}`);
  });
  beforeEach((ctx) => {
    ctx.skip(!hasPromtool, NO_PROMTOOL);
  });

  it('the rules are valid, and pass their unit tests', () => {
    const checked = promtool(['check', 'rules', RULES]);
    expect(checked.status, checked.output).toBe(0);
    const tested = promtool(['test', 'rules', RULE_TESTS]);
    expect(tested.status, tested.output).toBe(0);
    expect(tested.output).toContain('SUCCESS');
  });

  it('the Prometheus configuration of the compose profile is valid and loads the rules', () => {
    const checked = promtool(['check', 'config', CONFIG]);
    expect(checked.status, checked.output).toBe(0);
    expect(checked.output).toContain('alerts.yml');
  });

  it('every dashboard query is valid PromQL', () => {
    expect(queries.length).toBeGreaterThan(15);
    // Grafana's variables, as it would fill them in.
    const filled = (expr: string) =>
      expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$job', 'timetap-sync')
        .replaceAll('$account', '.*');
    const dir = mkdtempSync(join(tmpdir(), 'timetap-sync-dashboard-'));
    try {
      const file = join(dir, 'queries.yml');
      const rules = queries
        .map(
          (q, i) => `      - record: dashboard_query_${i}\n        expr: ${JSON.stringify(filled(q.expr))}`,
        )
        .join('\n');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules}\n`);
      const checked = promtool(['check', 'rules', file]);
      expect(checked.status, checked.output).toBe(0);
      expect(checked.output).toContain(`${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alert rules and dashboard, without promtool', () => {
  const rules = readFileSync(RULES, 'utf8');
  const ruleTests = readFileSync(RULE_TESTS, 'utf8');

  it('name only metrics the worker exports', () => {
    const { registry } = createMetrics();
    const exported = new Map(registry.getMetricsAsArray().map((m) => [m.name, String(m.type)]));
    const named = new Set(
      [rules, ruleTests, ...queries.map((q) => q.expr), JSON.stringify(dashboard.templating)].flatMap(
        (text) =>
          [...text.matchAll(/\b((?:timetap_sync|process|nodejs)_[a-z_]+)\b/g)].map((m) => m[1] as string),
      ),
    );
    expect(named.size).toBeGreaterThan(15);
    const unknown = [...named].filter((name) => {
      if (exported.has(name)) return false;
      const histogram = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
      return !(histogram && exported.get(histogram) === 'histogram');
    });
    expect(unknown).toEqual([]);
  });

  it('every alert has a test that sees it fire, and its runbook is a section of docs/operating.md', () => {
    const alerts = [...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1] as string);
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    const operating = readFileSync(join(ROOT, 'docs/operating.md'), 'utf8');
    for (const alert of alerts) {
      const firing = new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`);
      expect(ruleTests, `no test fires ${alert}`).toMatch(firing);
      expect(rules).toContain(`runbook: docs/operating.md#${alert.toLowerCase()}`);
      expect(operating, `docs/operating.md has no section ${alert}`).toMatch(
        new RegExp(`^#+ ${alert}$`, 'm'),
      );
    }
  });

  it('the dashboard reads the provisioned Prometheus through its variable, one deployment at a time', () => {
    const uids = [...JSON.stringify(dashboard.panels).matchAll(/"uid":"([^"]*)"/g)].map((m) => m[1]);
    expect(uids.length).toBeGreaterThan(queries.length);
    for (const uid of new Set(uids)) expect(uid).toMatch(/^\$\{datasource\}$/);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'account']);
    for (const q of queries) expect(q.expr, q.panel).toContain('$job');
  });
});
