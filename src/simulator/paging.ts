/**
 * `pageNumber`/`pageSize` on the plain lists, in the simulator's `paged` mode. TimeTap documents
 * these parameters only for its `...List/report` variants (1-based pages, 25 per page); a client
 * that pages the plain lists must meet the same rules there, so the simulator can enforce them.
 */
import { badRequest, type RouteResult } from './answers.js';
import type { RawObject } from './objects.js';
import { type ListPaging, pageSizes } from './switches.js';

/** Which slice of a list to answer: all of it, or `size` items from `offset`. */
export type Page = { kind: 'all' } | { kind: 'slice'; offset: number; size: number };

/** A positive integer in decimal digits; undefined for anything else ("0", "-1", "1.5", "2x", ""). */
function positive(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

/** The page a query asks for under `paging`, or the 400 it earns. */
export function readPage(query: Record<string, string>, paging: ListPaging): Page | RouteResult {
  switch (paging.mode) {
    case 'all':
      // As documented: the plain lists know no paging, so the parameters mean nothing.
      return { kind: 'all' };
    case 'paged': {
      const { defaultPageSize, maxPageSize } = pageSizes(paging);
      const number = query.pageNumber === undefined ? 1 : positive(query.pageNumber);
      if (number === undefined) return badRequest('pageNumber must be an integer >= 1');
      const asked = query.pageSize === undefined ? defaultPageSize : positive(query.pageSize);
      if (asked === undefined) return badRequest('pageSize must be an integer >= 1');
      // Capped silently, as paged APIs commonly do: the client sees a short page, not an error.
      const size = Math.min(asked, maxPageSize);
      return { kind: 'slice', offset: (number - 1) * size, size };
    }
    default: {
      const never: never = paging;
      throw new Error(`unknown listPaging ${JSON.stringify(never)}`);
    }
  }
}

export function isPage(value: Page | RouteResult): value is Page {
  return 'kind' in value;
}

/** The page's objects. A slice comes in id order so that pages neither overlap nor skip. */
export function pageOf(objects: RawObject[], idField: string, page: Page): RawObject[] {
  switch (page.kind) {
    case 'all':
      return objects;
    case 'slice': {
      const id = (object: RawObject) => object[idField] as number;
      const sorted = [...objects].sort((a, b) => id(a) - id(b));
      return sorted.slice(page.offset, page.offset + page.size);
    }
    default: {
      const never: never = page;
      throw new Error(`unknown page ${JSON.stringify(never)}`);
    }
  }
}
