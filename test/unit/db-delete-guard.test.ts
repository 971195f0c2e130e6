import { describe, expect, it } from 'vitest';
import { evaluateDeleteGuard } from '../../src/db/delete-guard.js';

const guard = { ratio: 0.5, allowMassDelete: false };

describe('evaluateDeleteGuard', () => {
  it('allows a share up to the ratio', () => {
    expect(evaluateDeleteGuard({ label: 'staff', active: 10, doomed: 5, seen: 5 }, guard)).toEqual({
      refused: false,
    });
    expect(evaluateDeleteGuard({ label: 'staff', active: 10, doomed: 0, seen: 10 }, guard)).toEqual({
      refused: false,
    });
  });

  it('refuses more than the ratio and says why', () => {
    const decision = evaluateDeleteGuard({ label: 'staff', active: 10, doomed: 7, seen: 3 }, guard);
    expect(decision.refused).toBe(true);
    if (decision.refused) expect(decision.reason).toContain('would delete 7 of 10 active staff (ratio 0.5)');
  });

  it('refuses an empty list when the scope has rows, only if empty lists are suspicious', () => {
    const input = { label: 'locations', active: 1, doomed: 1, seen: 0 };
    expect(evaluateDeleteGuard(input, { ...guard, ratio: 1, emptyListIsSuspicious: true })).toMatchObject({
      refused: true,
      reason: expect.stringContaining('empty list'),
    });
    expect(evaluateDeleteGuard(input, { ...guard, ratio: 1 })).toEqual({ refused: false });
  });

  it('lets allowMassDelete override both checks', () => {
    const options = { ...guard, allowMassDelete: true, emptyListIsSuspicious: true };
    expect(evaluateDeleteGuard({ label: 'staff', active: 10, doomed: 10, seen: 0 }, options)).toEqual({
      refused: false,
    });
  });

  it('has nothing to refuse when nothing would be deleted', () => {
    const options = { ...guard, emptyListIsSuspicious: true };
    expect(evaluateDeleteGuard({ label: 'staff', active: 0, doomed: 0, seen: 0 }, options)).toEqual({
      refused: false,
    });
  });
});
