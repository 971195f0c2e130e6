/**
 * docs/configuration.md is generated (scripts/config-reference.ts) from the schema in
 * src/config.ts and the comments of .env.example: the committed file must be what the generator
 * writes now, and the two sources must name the same variables with the same defaults.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ENV_EXAMPLE,
  parseEnvExample,
  REFERENCE,
  renderConfigReference,
  schemaDefault,
  schemaVariables,
} from '../../scripts/config-reference.js';

const envExample = readFileSync(ENV_EXAMPLE, 'utf8');
const exampleVariables = parseEnvExample(envExample).entries.flatMap((entry) => entry.variables);

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates (run it after changing src/config.ts or .env.example)', () => {
    expect(readFileSync(REFERENCE, 'utf8')).toBe(renderConfigReference(envExample));
  });

  it('.env.example documents every variable of the schema, and no other', () => {
    expect(exampleVariables.map((v) => v.name).sort()).toEqual(schemaVariables().sort());
  });

  it(".env.example's values are the schema's defaults where both exist", () => {
    for (const { name, value } of exampleVariables) {
      const fallback = schemaDefault(name);
      if (fallback !== undefined && value !== '') expect(value, name).toBe(fallback);
    }
  });

  it('describes each variable with its default, what it accepts and the comment that explains it', () => {
    const reference = renderConfigReference(envExample);
    expect(reference).toContain('- `TIMETAP_MAX_RPS`: default `5`; a number above 0, at most 1000');
    expect(reference).toContain(
      '- `TIMETAP_TIMEOUT_MS`: default `30000`; milliseconds, a whole number from 1 to 2147483647',
    );
    expect(reference).toContain(
      '- `MIRROR_CLIENT_DATA`: default `full`; one of `full`, `pseudonymous`, `none`',
    );
    expect(reference).toContain('- `SYNC_ALLOW_MASS_DELETE`: default `false`; `true` or `false`');
    expect(reference).toContain('- `DATABASE_URL`: no default');
    expect(reference).toMatch(/## Redis \(the queue\)\n\n- `REDIS_URL`: no default\n/);
    expect(reference).toContain('Per-request timeout (ms), covering the whole body.');
    for (const line of reference.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
  });

  it('reads a commented-out variable, and a comment after variables as the next entry', () => {
    const parsed = parseEnvExample(
      ['# --- A ---', '# about X', 'X=1', '# about Y', '# Y=2', '', 'Z='].join('\n'),
    );
    expect(parsed.entries).toEqual([
      { section: 'A', comment: ['about X'], variables: [{ name: 'X', value: '1' }] },
      { section: 'A', comment: ['about Y'], variables: [{ name: 'Y', value: '2' }] },
      { section: 'A', comment: [], variables: [{ name: 'Z', value: '' }] },
    ]);
  });
});
