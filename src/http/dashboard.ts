/**
 * The Bull Board queue dashboard at /admin/queues, behind the admin token (dashboard-guard.ts).
 * Actions (retry, clean, pause) stay enabled: whoever holds the token already controls the
 * worker. Bull Board and its UI cost the worker a few megabytes that most never use, so the
 * module is imported on the first authenticated request (`createLazyDashboard`), not at start.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import { DASHBOARD_PATH } from './dashboard-guard.js';

export function createDashboardRouter(queues: Queue[]): RequestHandler {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'timetap-sync' } },
  });
  return serverAdapter.getRouter() as RequestHandler;
}
