import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createRedactor, safeUrl, urlCredentials } from '../../src/redact.js';

describe('redactor', () => {
  it('scrubs known secrets, session tokens and secret query parameters inside any string', () => {
    const redactor = createRedactor(['my-api-key-123', undefined, '']);
    redactor.add('private-key-456');
    const text =
      'GET https://api.timetap.com/live/sessionToken?apiKey=abc&timestamp=1&signature=0123abcd failed; ' +
      'key my-api-key-123, pk private-key-456, token st:api:api:0123456789abcdef0123456789abcdef';
    const out = redactor.scrub(text);
    expect(out).not.toContain('my-api-key-123');
    expect(out).not.toContain('private-key-456');
    expect(out).not.toContain('0123abcd');
    expect(out).not.toContain('apiKey=abc');
    expect(out).not.toContain('st:api:api:');
    expect(out).toContain('timestamp=1');
  });

  it('scrubs session tokens by their shape, the dotted form seen in traffic included', () => {
    const out = createRedactor().scrub(
      'a st.api.api.0123456789abcdef0123456789abcdef b st:api:api:fedcba9876543210fedcba9876543210 c st.api:api.0123456789abcdef',
    );
    expect(out).toBe('a [REDACTED] b [REDACTED] c st.api:api.0123456789abcdef');
  });

  it('scrubs the user and password of any URL, and knows the passwords of the URL variables', () => {
    const redactor = createRedactor(urlCredentials('postgresql://app:s3cr%40t-pass@db:5432/x'));
    const out = redactor.scrub(
      'connect to postgresql://app:s3cr%40t-pass@db:5432/x failed; redis://:r3dis-pw@cache:6379; pw s3cr@t-pass',
    );
    expect(out).toBe(
      'connect to postgresql://[REDACTED]@db:5432/x failed; redis://[REDACTED]@cache:6379; pw [REDACTED]',
    );
    expect(urlCredentials('postgresql://postgres@db/x')).toEqual([]);
    expect(urlCredentials('not a url')).toEqual([]);
  });

  it('scrubs a secret however much of it is percent-encoded, in either case of hex', () => {
    const secret = 'webhook-Secret_0123456789.abcdef~Zz';
    const redactor = createRedactor([secret]);
    const every = [...secret].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const upper = every.toUpperCase();
    const some = [...secret].map((c, i) => (i % 3 === 0 ? `%${c.charCodeAt(0).toString(16)}` : c)).join('');
    for (const spelt of [secret, every, upper, some]) {
      expect(redactor.scrub(`POST /webhooks/timetap/${spelt} 200`), spelt).toBe(
        'POST /webhooks/timetap/[REDACTED] 200',
      );
    }
    const accented = createRedactor(['clé-privée-123']);
    expect(accented.scrub(`k=${encodeURIComponent('clé-privée-123')}`)).toBe('k=[REDACTED]');
    expect(redactor.scrub('100% of nothing secret')).toBe('100% of nothing secret');
  });

  it('gives URLs without their query string', () => {
    expect(safeUrl('https://api.timetap.com/live/sessionToken?apiKey=x&signature=y')).toBe(
      'https://api.timetap.com/live/sessionToken',
    );
  });
});

describe('logger', () => {
  it('censors secret fields and scrubs secrets inside messages and errors', () => {
    const lines: string[] = [];
    const redactor = createRedactor(['the-private-key-789']);
    const logger = createLogger({
      level: 'info',
      redactor,
      destination: { write: (l: string) => void lines.push(l) },
    });
    logger.info({ sessionToken: 'abc', headers: { authorization: 'Bearer x' } }, 'login ok');
    logger.warn(
      { err: new Error('failed with the-private-key-789') },
      'oops st:api:api:ffffffffffffffffffffffffffffffff',
    );
    const all = lines.join('');
    expect(all).not.toContain('the-private-key-789');
    expect(all).not.toContain('"abc"');
    expect(all).not.toContain('Bearer x');
    expect(all).not.toContain('ffffffffffffffff');
    expect(all).toContain('[REDACTED]');
  });
});
