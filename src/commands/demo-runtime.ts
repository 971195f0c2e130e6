/**
 * The demo's configuration: the user's environment, pointed at the demo's own database, the
 * simulator (its keys, whatever TIMETAP_* say) and a queue prefix of its own, with logs shaped for
 * a tour on a terminal.
 */
import { chooseLogOutput, createLogger, type LogFormatSetting } from '../logger.js';
import { createRuntime, type Runtime } from '../runtime.js';
import type { Simulator } from '../simulator/index.js';

export function createDemoRuntime(
  env: NodeJS.ProcessEnv,
  demo: {
    databaseUrl: string;
    redisUrl: string;
    simulator: Simulator;
    queuePrefix: string;
    /** LOG_FORMAT, read before anything started. */
    logSetting: LogFormatSetting;
    /** What `--keep-running` sets besides: its schedule, endpoints and their secrets. */
    extra?: Record<string, string>;
  },
): Runtime {
  const { config, redactor } = createRuntime(
    {
      ...env,
      DATABASE_URL: demo.databaseUrl,
      REDIS_URL: demo.redisUrl,
      // The simulator's one account, whatever accounts the user's environment names.
      TIMETAP_ACCOUNTS_FILE: '',
      TIMETAP_BASE_URL: demo.simulator.url,
      TIMETAP_API_KEY: demo.simulator.credentials.apiKey,
      TIMETAP_PRIVATE_KEY: demo.simulator.credentials.privateKey,
      // The simulator is local: no need for the modest budget that suits TimeTap itself.
      TIMETAP_MAX_RPS: '50',
      TIMETAP_MAX_CONCURRENCY: '8',
      QUEUE_PREFIX: demo.queuePrefix,
      LOG_LEVEL: env.LOG_LEVEL || 'warn',
      ...demo.extra,
    },
    // Not 'schedule': the demo checks its own pattern (demo.ts), which may fire every few seconds.
    ['timetap', 'database', 'redis'],
  );
  // On a terminal the tour's own lines are what matters: logs come as short human lines (warnings
  // and errors only), above the progress line.
  const logger = createLogger({
    ...chooseLogOutput({
      setting: demo.logSetting,
      level: config.logLevel,
      oneShot: true,
      terminal: process.stderr.isTTY === true,
    }),
    redactor,
  });
  return { config, redactor, logger };
}
