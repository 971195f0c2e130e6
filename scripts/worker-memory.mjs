// What each import and first use of the worker costs in resident memory, in the order
// `timetap-sync worker` goes through them: one fresh process, each row read after full garbage
// collections and a pause (background compilation threads settle), so that a row is what stays,
// not garbage. Needs dist/ (`npm run build`), and the settings of the worker (DATABASE_URL of a
// migrated database, REDIS_URL, QUEUE_PREFIX, TIMETAP_*); Node flags go before the script:
//
//   node --expose-gc [--max-semi-space-size=2 ...] scripts/worker-memory.mjs
//
// Prints a markdown table: RSS, its growth, and the V8 heap (used, reserved) and external memory.
import { setTimeout as sleep } from 'node:timers/promises';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}
const dist = (path) => new URL(`../dist/${path}`, import.meta.url).href;
const mb = (bytes) => (bytes / 1048576).toFixed(1);
let previous = 0;

async function row(label) {
  globalThis.gc();
  globalThis.gc();
  await sleep(1500);
  globalThis.gc();
  const m = process.memoryUsage();
  const growth = previous ? `+${mb(m.rss - previous)}` : '';
  console.log(
    `| ${label} | ${mb(m.rss)} | ${growth} | ${mb(m.heapUsed)} | ${mb(m.heapTotal)} | ${mb(m.external)} |`,
  );
  previous = m.rss;
}

console.log('| import or first use | RSS MB | growth | heap used | heap total | external |');
console.log('| --- | --- | --- | --- | --- | --- |');
await row('node, nothing imported');
await import('dotenv');
await import(dist('cli.js'));
await row('cli.js (commander, dotenv)');
const { createRuntime } = await import(dist('runtime.js'));
const runtime = createRuntime(process.env, ['timetap', 'database', 'redis', 'schedule'], { service: true });
await row('runtime.js and the configuration (zod, pino)');
const { checkDatabase } = await import(dist('db/preflight.js'));
await checkDatabase(runtime.config.database, { use: 'command', schema: true });
await row('db/preflight.js and its check (pg)');
const { createDatabase } = await import(dist('db/database.js'));
const database = createDatabase(runtime.config.database, runtime.logger);
await row('db/client.js and createDatabase (Prisma client)');
await database.prisma.$queryRaw`SELECT 1`;
await row('first query (Prisma query compiler, WebAssembly)');
await database.prisma.syncRun.findFirst();
await row('first model query');
const { createMetrics } = await import(dist('metrics.js'));
await createMetrics().registry.metrics();
await row('metrics.js, createMetrics, one /metrics (prom-client)');
const { Queue } = await import('bullmq');
await row('bullmq (and ioredis)');
const queue = new Queue('sync', {
  connection: { url: runtime.config.redis.url },
  prefix: runtime.config.redis.prefix,
});
await queue.waitUntilReady();
await row('a Queue, connected');
await import(dist('http/server.js'));
await row('http/server.js (express)');
await import(dist('http/dashboard.js'));
await row('http/dashboard.js (Bull Board: only once an admin opens it)');
await import(dist('commands/worker.js'));
await row('commands/worker.js (the walk, the TimeTap client, the job processors)');
await queue.close();
await database.close();
process.exit(0);
