/** The one table, as Markdown: printed to stdout and written to bench/RESULTS.md. */
import type { Figure } from './figures.js';
import type { Machine } from './machine.js';
import type { BenchSizes } from './sizes.js';

export function renderReport(input: {
  sizes: BenchSizes;
  machine: Machine;
  figures: Figure[];
  notes: string[];
  errors: string[];
  startedAt: Date;
  durationMs: number;
}): string {
  const { machine, sizes } = input;
  const rows = input.figures.map((f) => [
    f.measurement,
    f.what,
    f.value,
    f.target,
    f.pass === undefined ? '' : f.pass ? 'pass' : 'MISS',
  ]);
  const passed = input.figures.filter((f) => f.pass === true).length;
  const judged = input.figures.filter((f) => f.pass !== undefined).length;
  const lines = [
    `# timetap-sync benchmark (${sizes.name} size)`,
    '',
    table(['#', 'measurement', 'value', 'target', 'result'], rows),
    '',
    `${passed} of ${judged} targets met. Figures are ratios measured side by side in one run; times are for context.`,
    ...(input.errors.length > 0 ? ['', '## Errors', '', ...input.errors.map((e) => `- ${e}`)] : []),
    '',
    '## Setup',
    '',
    ...input.notes.map((n) => `- ${n}`),
    '',
    '## Machine',
    '',
    `- commit: ${machine.commit}`,
    `- run: ${input.startedAt.toISOString()}, ${Math.round(input.durationMs / 1000)} s, \`npm run bench${sizes.name === 'full' ? '' : ` -- --${sizes.name}`}\``,
    `- os: ${machine.os}; cpus: ${machine.cpus}; memory: ${machine.memory}`,
    `- node ${machine.node}; PostgreSQL ${machine.postgres}; Redis ${machine.redis}`,
    '',
  ];
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  const all = [header, ...rows].map((row) => row.map(escapeCell));
  const widths = header.map((_, i) => Math.max(3, ...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(all[0] ?? []),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...all.slice(1).map(line),
  ].join('\n');
}
