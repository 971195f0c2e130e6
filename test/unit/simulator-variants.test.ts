/**
 * The simulator's variants (variants.ts) as the command line spells them (standalone.ts): each
 * flag sets its variant, `--all-variants` sets them all with pages capped at 10, the banner names
 * what differs from the defaults, and a bad value is refused.
 */
import { describe, expect, it } from 'vitest';
import { variantOptions } from '../../src/simulator/standalone.js';
import {
  ALL_VARIANTS,
  DEFAULT_VARIANTS,
  describeVariants,
  resolveVariants,
} from '../../src/simulator/variants.js';

describe('simulator variants from the command line', () => {
  it('sets each variant from its flag, and nothing else', () => {
    expect(variantOptions({})).toEqual({ variants: {} });
    expect(variantOptions({ reportWithCount: false }).variants).toEqual({ reportWithCount: 'absent' });
    expect(variantOptions({ retryAfter: true }).variants).toEqual({});
    expect(variantOptions({ retryAfter: false }).variants).toEqual({ retryAfter: false });
    expect(
      variantOptions({
        reportOrder: 'date-time',
        statusDefault: 'OPEN,PENDING',
        html401: true,
        tokenStyle: 'dotted',
        gatewayTimeoutAbove: 40,
        reportPageCap: 10,
      }),
    ).toEqual({
      variants: {
        reportOrder: 'date-time',
        statusDefault: ['OPEN', 'PENDING'],
        html401: true,
        tokenStyle: 'dotted',
        gatewayTimeoutAbove: 40,
      },
      reportPaging: { maxPageSize: 10 },
    });
  });

  it('--all-variants sets them all, pages capped at 10 unless said otherwise', () => {
    expect(variantOptions({ allVariants: true })).toEqual({
      variants: { ...ALL_VARIANTS },
      reportPaging: { maxPageSize: 10 },
    });
    expect(variantOptions({ allVariants: true, reportPageCap: 25, html401: false }).reportPaging).toEqual({
      maxPageSize: 25,
    });
  });

  it('names what differs from the defaults, and refuses a bad value', () => {
    expect(describeVariants(DEFAULT_VARIANTS)).toBe('variants: none');
    expect(describeVariants(resolveVariants({ reportOrder: 'date-time', html401: true }))).toBe(
      'variants: report order stable only by date and time; 401 as HTML',
    );
    expect(() => resolveVariants({ statusDefault: ['OPEN', 'LATE'] as never })).toThrow(/statusDefault/);
    expect(() => resolveVariants({ gatewayTimeoutAbove: 0 })).toThrow(/gatewayTimeoutAbove/);
    expect(() => resolveVariants({ reportOrder: 'random' as never })).toThrow(/reportOrder/);
  });
});
