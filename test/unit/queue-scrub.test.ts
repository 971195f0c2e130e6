import { DelayedError, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { scrubbedForQueue } from '../../src/queue/processor-deps.js';
import { createRedactor } from '../../src/redact.js';

describe('scrubbedForQueue', () => {
  const redactor = createRedactor(['the-api-key-123']);

  it('scrubs the message and the stack BullMQ stores, and keeps an unrecoverable error unrecoverable', () => {
    const original = new UnrecoverableError('refused http://u:pw@host/sessionToken?apiKey=the-api-key-123');
    const scrubbed = scrubbedForQueue(original, redactor) as Error;
    expect(scrubbed).toBeInstanceOf(UnrecoverableError);
    expect(scrubbed.message).toBe('refused http://[REDACTED]@host/sessionToken?apiKey=[REDACTED]');
    expect(scrubbed.stack).toContain('refused http://[REDACTED]@host');
    expect(scrubbed.stack).not.toContain('the-api-key-123');
    expect(scrubbed.stack).not.toContain('u:pw@');

    const plain = scrubbedForQueue('key the-api-key-123', redactor) as Error;
    expect(plain).toBeInstanceOf(Error);
    expect(plain.message).toBe('key [REDACTED]');
  });

  it("passes BullMQ's own signals unchanged", () => {
    for (const signal of [new WaitingChildrenError(), new DelayedError()]) {
      expect(scrubbedForQueue(signal, redactor)).toBe(signal);
    }
  });
});
