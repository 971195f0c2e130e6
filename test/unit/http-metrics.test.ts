import { describe, expect, it } from 'vitest';
import { createMetrics, Registry } from '../../src/metrics.js';

describe('createMetrics', () => {
  it('registers the timetap_sync_ instruments and the process metrics on the given registry', async () => {
    const registry = new Registry();
    const { registry: returned, metrics } = createMetrics(registry);
    expect(returned).toBe(registry);
    metrics.rows.inc({ account: 'default', entity: 'staff', outcome: 'inserted' }, 3);
    metrics.apiCalls.inc({ account: 'default', endpoint: 'GET /staff', status: '200' });
    metrics.apiRetries.inc();
    metrics.relogins.inc();
    metrics.syncDuration.observe({ account: 'default', scope: 'full' }, 12);
    metrics.lastSuccess.set({ account: 'default', scope: 'full' }, 1_700_000_000);
    metrics.jobs.inc({ name: 'full-sync', outcome: 'completed' });
    metrics.apiRateLimit.set({ account: 'default' }, 7.5);
    const text = await registry.metrics();
    expect(text).toContain('timetap_sync_rows_total{account="default",entity="staff",outcome="inserted"} 3');
    expect(text).toContain(
      'timetap_sync_api_calls_total{account="default",endpoint="GET /staff",status="200"} 1',
    );
    expect(text).toContain('timetap_sync_api_retries_total 1');
    expect(text).toContain('timetap_sync_relogins_total 1');
    expect(text).toContain(
      'timetap_sync_run_duration_seconds_bucket{le="15",account="default",scope="full"} 1',
    );
    expect(text).toContain(
      'timetap_sync_last_success_timestamp_seconds{account="default",scope="full"} 1700000000',
    );
    expect(text).toContain('timetap_sync_jobs_total{name="full-sync",outcome="completed"} 1');
    expect(text).toContain('timetap_sync_api_rate_limit{account="default"} 7.5');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('keeps separate registries apart', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.metrics.relogins.inc();
    expect(await b.registry.metrics()).toContain('timetap_sync_relogins_total 0');
  });
});
