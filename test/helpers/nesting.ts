/**
 * How deep a record nests through its `a` field: the tests of records thousands of levels deep
 * (the store's and the whole sync's) build them that way and check that they come back whole.
 */
export function depthOf(value: unknown): number {
  let depth = 0;
  for (let v = value; v !== null && typeof v === 'object'; v = (v as { a: unknown }).a) depth += 1;
  return depth;
}
