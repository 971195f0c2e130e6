/** What each benchmark module hands back: rows of the one table, and what they were run with. */

import type { Variants } from '../src/simulator/index.js';
import type { BenchDatabases } from './databases.js';
import type { BenchSizes } from './sizes.js';

export interface Figure {
  /** The measurement number and a short name, e.g. "1 full sync". */
  measurement: string;
  what: string;
  value: string;
  target: string;
  /** undefined: context only, no target. */
  pass: boolean | undefined;
}

export interface BenchContext {
  sizes: BenchSizes;
  adminUrl: string;
  redisUrl: string;
  databases: BenchDatabases;
  /** Progress lines on stderr, so that stdout holds the table alone. */
  log(message: string): void;
  /** The simulator's variants for measurement 6 (`--report-order date-time`); default none. */
  variants?: Partial<Variants>;
}

export interface BenchSection {
  figures: Figure[];
  /** Lines for the notes under the table: settings, sizes, raw times. */
  notes: string[];
}

export const fmt = {
  ms: (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`),
  ratio: (r: number) => `${r.toFixed(2)}x`,
  int: (n: number) => Math.round(n).toLocaleString('en-US'),
  /** A setting as given (2.5 stays 2.5). */
  num: (n: number | undefined) => (n === undefined ? 'n/a' : String(n)),
  mb: (kb: number | undefined) => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(0)} MB`),
  bytes: (n: number) => `${(n / 1048576).toFixed(n < 10 * 1048576 ? 1 : 0)} MB`,
};
