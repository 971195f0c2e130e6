/**
 * Reading a whole list, whether or not TimeTap pages it. The docs say the plain lists return
 * every record as one array, but the report endpoints page with `pageNumber`/`pageSize` (default
 * 25) and at least one public connector pages `/locations`. So every list asks for pages and keeps
 * asking while a page comes back exactly full; it stops on:
 * - a short or empty page: the end;
 * - a page longer than asked: the API ignored the paging parameters and sent everything;
 * - a page that brings no new id: the API ignored `pageNumber` and sent the same records again;
 * - a 404 on a page after the first: no such page (the caller handles a 404 on the first).
 * An API that ignores the parameters therefore costs at most one extra call per list (when the
 * list happens to be exactly one page long). A page that fails fails the whole list: a list is
 * never returned partially. Neither is one whose pages never shorten: past `maxPages`
 * (TIMETAP_MAX_PAGES, page-limit.ts) it fails with PageLimitError, before it fills the memory.
 */
import { NotFoundError, PageLimitError } from '../errors.js';

export interface PagedRead<T> {
  values: T[];
  pages: number;
}

export async function readAllPages<T>(options: {
  pageSize: number;
  /** The most pages the list may take (page-limit.ts). */
  maxPages: number;
  /** For errors: `GET /staff?locationId=7`. */
  label: string;
  readPage(pageNumber: number): Promise<unknown[]>;
  /** The record's id and value, or undefined for a record without a usable id (reported by the caller). */
  accept(input: unknown, index: number): { id: number; value: T } | undefined;
}): Promise<PagedRead<T>> {
  const values: T[] = [];
  const seen = new Set<number>();
  let index = 0;
  for (let pageNumber = 1; pageNumber <= options.maxPages; pageNumber++) {
    let records: unknown[];
    try {
      records = await options.readPage(pageNumber);
    } catch (error) {
      if (pageNumber > 1 && error instanceof NotFoundError) return { values, pages: pageNumber - 1 };
      throw error;
    }
    let fresh = 0;
    for (const input of records) {
      const accepted = options.accept(input, index++);
      if (accepted === undefined || seen.has(accepted.id)) continue;
      seen.add(accepted.id);
      values.push(accepted.value);
      fresh++;
    }
    const repeated = pageNumber > 1 && fresh === 0;
    if (records.length !== options.pageSize || repeated) return { values, pages: pageNumber };
  }
  throw new PageLimitError(options.label, options.maxPages);
}
