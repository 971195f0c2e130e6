/**
 * Generates docs/configuration.md, the reference of every variable, so that it cannot drift from
 * the code: the names, defaults and accepted values come from the zod schema in src/config.ts,
 * the meanings and the grouping from .env.example's comments (which a user reads too, and which
 * every new variable gets anyway). `npm run docs:config` writes the file;
 * test/unit/config-reference.test.ts fails when the committed one differs, or when a variable is
 * in one of the two sources and not in the other.
 *
 * .env.example's shape: `# --- Title ---` lines open a section; a run of comment lines followed
 * by the variable lines it describes is one entry; a commented-out `# NAME=value` line is a
 * variable too (one left at its default).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { configSchema } from '../src/config.js';

const WIDTH = 100;
const ROOT = new URL('..', import.meta.url);
export const ENV_EXAMPLE = fileURLToPath(new URL('.env.example', ROOT));
export const REFERENCE = fileURLToPath(new URL('docs/configuration.md', ROOT));

export interface EnvEntry {
  section: string | undefined;
  comment: string[];
  variables: Array<{ name: string; value: string }>;
}

export interface EnvExample {
  /** The comment lines before the first section: rules that hold for every variable. */
  preamble: string[];
  entries: EnvEntry[];
}

const SECTION = /^#\s*---\s*(.+?)\s*-*$/;
const VARIABLE = /^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;

export function parseEnvExample(text: string): EnvExample {
  const preamble: string[] = [];
  const entries: EnvEntry[] = [];
  let section: string | undefined;
  let entry: EnvEntry | undefined;
  for (const line of text.split('\n')) {
    const heading = SECTION.exec(line);
    const variable = VARIABLE.exec(line);
    if (line.trim() === '') {
      entry = undefined;
    } else if (heading) {
      section = heading[1];
      entry = undefined;
    } else if (variable) {
      if (!entry) {
        entry = { section, comment: [], variables: [] };
        entries.push(entry);
      }
      entry.variables.push({ name: variable[1] ?? '', value: variable[2] ?? '' });
    } else if (line.startsWith('#')) {
      const words = line.replace(/^#\s?/, '');
      if (section === undefined && entries.length === 0) {
        preamble.push(words);
        continue;
      }
      // A comment after variable lines describes the next ones.
      if (!entry || entry.variables.length > 0) {
        entry = { section, comment: [], variables: [] };
        entries.push(entry);
      }
      entry.comment.push(words);
    }
  }
  return { preamble, entries };
}

type Field = z.ZodType;

/** The schema's default of a variable, as .env.example would write it; undefined: none. */
export function schemaDefault(name: string): string | undefined {
  const field = fieldOf(name);
  if (field.def.type !== 'default') return undefined;
  const value = (field.def as unknown as { defaultValue: unknown }).defaultValue;
  if (typeof value === 'string') return value;
  // A list variable's default, as it is written in the environment: comma-separated.
  return Array.isArray(value) ? value.join(',') : JSON.stringify(value);
}

function fieldOf(name: string): Field {
  const field = (configSchema.shape as Record<string, Field | undefined>)[name];
  if (!field) throw new Error(`${name} is in .env.example but not in src/config.ts`);
  return field;
}

/** What the variable accepts, when the schema can say it in words. */
function accepts(name: string): string | undefined {
  let field = fieldOf(name);
  while (field.def.type === 'default' || field.def.type === 'optional') {
    field = (field.def as unknown as { innerType: Field }).innerType;
  }
  const meta = field.meta() as { accepts?: unknown } | undefined;
  if (typeof meta?.accepts === 'string') return meta.accepts;
  if (field.def.type === 'enum') {
    const options = (field as unknown as { options: string[] }).options;
    return `one of ${options.map((o) => `\`${o}\``).join(', ')}`;
  }
  // z.stringbool() is a pipe from text to a boolean.
  if (field.def.type === 'pipe' && (field as unknown as { out?: Field }).out?.def.type === 'boolean') {
    return '`true` or `false`';
  }
  return undefined;
}

export function schemaVariables(): string[] {
  return Object.keys(configSchema.shape);
}

function wrap(text: string, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

function describeVariable(name: string): string[] {
  const fallback = schemaDefault(name);
  const parts = [fallback === undefined ? 'no default' : `default \`${fallback}\``];
  const words = accepts(name);
  if (words !== undefined) parts.push(words);
  const [first = '', ...rest] = wrap(`\`${name}\`: ${parts.join('; ')}`, '  ');
  return [`- ${first.trimStart()}`, ...rest];
}

export function renderConfigReference(envExample: string): string {
  const { preamble, entries } = parseEnvExample(envExample);
  const out = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from src/config.ts and .env.example: edit those. -->',
    '',
    ...wrap(
      'Every variable timetap-sync reads: the names, defaults and accepted values come from the ' +
        'schema in `src/config.ts`, the meanings from `.env.example`. An empty variable counts ' +
        'as unset. A missing or invalid variable stops the program with exit code 2 and one ' +
        'message naming every bad one; values are never echoed.',
    ),
    '',
    ...wrap(preamble.join(' ')),
  ];
  let section: string | undefined;
  for (const entry of entries) {
    if (entry.section !== section) {
      section = entry.section;
      out.push('', `## ${section ?? 'Other'}`);
    }
    out.push('');
    for (const { name } of entry.variables) out.push(...describeVariable(name));
    if (entry.comment.length > 0) out.push('', ...wrap(entry.comment.join(' ')));
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(REFERENCE, renderConfigReference(readFileSync(ENV_EXAMPLE, 'utf8')));
  console.log(`wrote ${REFERENCE}`);
}
