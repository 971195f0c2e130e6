/**
 * What every command starts from: the validated configuration, the redactor that knows every
 * secret of that configuration, and a logger that uses it.
 */
import { type Config, type ConfigNeed, loadConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { createRedactor, type Redactor } from './redact.js';

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
    passwordOf(config.database.url),
    passwordOf(config.redis.url),
  ]);
  const logger = createLogger({ level: config.logLevel, redactor });
  return { config, redactor, logger };
}

function passwordOf(url: string): string | undefined {
  if (!url) return undefined;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password || undefined;
  } catch {
    return undefined;
  }
}
