/**
 * What every command starts from: the validated configuration, the redactor that knows every
 * secret of that configuration, and a logger that uses it.
 */
import { type Config, type ConfigNeed, loadConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createRedactor, type Redactor, urlCredentials } from './redact.js';

export interface Runtime {
  config: Config;
  redactor: Redactor;
  logger: Logger;
}

export function createRuntime(env: NodeJS.ProcessEnv, needs: readonly ConfigNeed[]): Runtime {
  const config = loadConfig(env, needs);
  const redactor = createRedactor([
    config.timetap.apiKey,
    config.timetap.privateKey,
    config.http.adminToken,
    ...urlCredentials(config.timetap.baseUrl),
    ...urlCredentials(config.database.url),
    ...urlCredentials(config.redis.url),
  ]);
  const logger = createLogger({ level: config.logLevel, redactor });
  return { config, redactor, logger };
}
