import { describe, expect, it } from 'vitest';
import { failureReason } from '../../src/failure-reason.js';

describe('failureReason', () => {
  it('names network failures by their code, inside causes and AggregateErrors too', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(failureReason(refused)).toBe('connection refused');
    expect(failureReason(new Error('outer', { cause: refused }))).toBe('connection refused');
    expect(failureReason(new AggregateError([refused], ''))).toBe('connection refused');
    expect(failureReason(Object.assign(new Error('x'), { code: 'ENOTFOUND' }))).toBe('host not found');
  });

  it('reads the kind of a Prisma driver adapter error, never its text', () => {
    const prisma = Object.assign(
      new Error('\nInvalid `prisma.$queryRaw()` invocation: ... at db.internal:5432'),
      {
        code: 'P2010',
        meta: { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } },
      },
    );
    expect(failureReason(prisma)).toBe('connection refused');
    const auth = Object.assign(new Error('x'), {
      meta: { driverAdapterError: { cause: { kind: 'AuthenticationFailed' } } },
    });
    expect(failureReason(auth)).toBe('authentication failed');
  });

  it('falls back to a few messages, then to "error"', () => {
    expect(failureReason(new Error('WRONGPASS invalid username-password pair'))).toBe(
      'authentication failed',
    );
    expect(failureReason(new Error('Command timed out'))).toBe('timed out');
    expect(failureReason(new Error('something else at host:1 with s3cret'))).toBe('error');
    expect(failureReason('a string')).toBe('error');
  });
});
