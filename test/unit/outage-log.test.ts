import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createErrorListener, createOutageLog } from '../../src/outage-log.js';
import { createRedactor } from '../../src/redact.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    redactor: createRedactor(['hunter2-secret']),
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { lines, logger, messages: () => lines.map((l) => l.msg) };
}

function clock() {
  let time = 1_000_000;
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

describe('createOutageLog', () => {
  it('logs a loss once, reminds at most once a minute, and logs the return once', () => {
    const { logger, lines, messages } = capture();
    const time = clock();
    const outages = createOutageLog({ logger, dependency: 'redis', where: '127.0.0.1:6379', now: time.now });
    // A 30-minute outage with a failure every 2 seconds (what ioredis and BullMQ report).
    for (let t = 0; t < 30 * 60_000; t += 2_000) {
      outages.lost('connect ECONNREFUSED 127.0.0.1:6379');
      time.advance(2_000);
    }
    expect(outages.isDown()).toBe(true);
    outages.restored();
    outages.restored();
    expect(messages()[0]).toBe('redis unreachable');
    expect(messages().filter((m) => m === 'redis still unreachable')).toHaveLength(29);
    expect(messages().filter((m) => m === 'redis reachable again')).toHaveLength(1);
    expect(lines).toHaveLength(31);
    expect(lines.at(-1)).toMatchObject({ dependency: 'redis', where: '127.0.0.1:6379', downForS: 1800 });
    expect(lines[1]).toMatchObject({ failures: 30, downForS: 60 });
    expect(outages.isDown()).toBe(false);
  });

  it('says nothing while the dependency is fine, and starts afresh after a return', () => {
    const { logger, messages } = capture();
    const time = clock();
    const outages = createOutageLog({ logger, dependency: 'database', now: time.now });
    outages.restored();
    expect(messages()).toEqual([]);
    outages.lost('ECONNRESET');
    outages.restored();
    time.advance(1_000);
    outages.lost('ECONNRESET');
    expect(messages()).toEqual(['database unreachable', 'database reachable again', 'database unreachable']);
  });
});

describe('createErrorListener', () => {
  it('sends every error to the outage log while the dependency is down, and logs others as they come', () => {
    const { logger, lines, messages } = capture();
    const outages = createOutageLog({ logger, dependency: 'redis' });
    let up = false;
    const onError = createErrorListener({
      outages,
      isUp: () => up,
      logger,
      redactor: createRedactor(['hunter2-secret']),
      source: 'worker',
    });
    for (let i = 0; i < 50; i++) onError(new Error('Connection is closed.'));
    onError(new Error('redis://:hunter2-secret@h:1 ECONNREFUSED'));
    expect(messages()).toEqual(['redis unreachable']);
    up = true;
    outages.restored();
    onError(new Error('Missing lock for job 7 (hunter2-secret)'));
    expect(messages()).toEqual(['redis unreachable', 'redis reachable again', 'worker error']);
    expect(JSON.stringify(lines)).not.toContain('hunter2-secret');
  });
});
