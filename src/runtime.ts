/**
 * What every command starts from: the validated configuration, the redactor that knows every
 * secret of that configuration, and a logger that uses it.
 */
import { type Config, type ConfigNeed, loadConfig } from './config.js';
import { chooseLogOutput, createLogger, type Logger } from './logger.js';
import { createRedactor, type Redactor, urlCredentials } from './redact.js';

export interface Runtime {
  config: Config;
  redactor: Redactor;
  logger: Logger;
}

/**
 * `service`: the long-running worker, which logs JSON lines whatever the terminal; one-shot
 * commands log human lines on a terminal (logger.ts `chooseLogOutput`).
 */
export function createRuntime(
  env: NodeJS.ProcessEnv,
  needs: readonly ConfigNeed[],
  options: { service?: boolean } = {},
): Runtime {
  const config = loadConfig(env, needs);
  const redactor = createRedactor([
    ...config.accounts.flatMap(({ timetap, webhookSecret }) => [
      timetap.apiKey,
      timetap.privateKey,
      ...urlCredentials(timetap.baseUrl),
      webhookSecret,
    ]),
    config.http.adminToken,
    ...urlCredentials(config.database.url),
    ...urlCredentials(config.redis.url),
  ]);
  const output = chooseLogOutput({
    setting: config.logFormat,
    level: config.logLevel,
    oneShot: options.service !== true,
    terminal: process.stderr.isTTY === true,
  });
  const logger = createLogger({ ...output, redactor });
  return { config, redactor, logger };
}
