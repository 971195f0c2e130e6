import { describe, expect, it } from 'vitest';
import { deleteAllowance, evaluateDeleteGuard } from '../../src/db/delete-guard.js';

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

  it('measures against a baseline that bad answers cannot erode', () => {
    // 60 links; an API answering empty lists took 30 in a run that still succeeded (within the
    // ratio). Measured against what is left, the next run could take 15, then 8, ...; measured
    // against the baseline of the recent successful runs, nothing more may go.
    expect(evaluateDeleteGuard({ label: 'links', active: 30, doomed: 15, seen: 15 }, guard)).toEqual({
      refused: false,
    });
    const decision = evaluateDeleteGuard(
      { label: 'links', active: 30, doomed: 1, seen: 29, baseline: 60 },
      guard,
    );
    expect(decision).toMatchObject({
      refused: true,
      reason: expect.stringContaining('the 60 a recent successful sync ended with'),
    });
    expect(deleteAllowance(30, 60, 0.5)).toBe(0);
    expect(deleteAllowance(40, 60, 0.5)).toBe(10);
    expect(deleteAllowance(40, 20, 0.5)).toBe(20);
    expect(deleteAllowance(10, undefined, 0.3)).toBe(3);
  });
});
