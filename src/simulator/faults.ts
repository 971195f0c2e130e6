/**
 * Fault injection: rules matched against each arriving request. A rule counts the matching calls
 * it lets through (`afterCalls`), then affects the next `times` matching calls. The first rule
 * that fires wins; later rules still count the call as seen.
 */
export type Fault =
  /** Answer with this status (e.g. 429 with Retry-After, 5xx, 400, 401) and a JSON error body or `body`. */
  | { type: 'status'; status: number; retryAfter?: string; body?: string }
  /** Never answer, until the client aborts or the simulator closes. */
  | { type: 'hang' }
  /** Send 200, the headers (with the full Content-Length) and half the real body, then hang. */
  | { type: 'stall' }
  /** Send 200 with the full Content-Length but only half the real body, then close the connection. */
  | { type: 'truncated' }
  /** 200 with an HTML page (content-type text/html), like a proxy's maintenance page. */
  | { type: 'html' }
  /** 200 with the real array, one record (the middle one) missing its id field. */
  | { type: 'drop-id' }
  /** Revoke every token, then serve the call as usual (so it gets 401). */
  | { type: 'revoke' }
  /**
   * 200 with `records` records never sent before (copies of the real answer's first record under
   * fresh ids), whatever page is asked: a list whose pages never shorten. With `count`, a report's
   * count says that many.
   */
  | { type: 'endless'; records: number; count?: number };

export interface FaultRule {
  /** Matched against the pathname (exact string or RegExp); omitted = every path, login included. */
  path?: string | RegExp;
  /** Every listed query parameter must be present with this value. */
  query?: Record<string, string>;
  /** Matching calls served normally before the rule starts. Default 0. */
  afterCalls?: number;
  /** Matching calls the rule affects. Default Infinity. */
  times?: number;
  fault: Fault;
}

interface ActiveRule {
  rule: FaultRule;
  seen: number;
  applied: number;
}

export interface FaultSet {
  add(rule: FaultRule): () => void;
  clear(): void;
  /** Counts the call against every matching rule and returns the fault to apply, if any. */
  match(path: string, query: Record<string, string>): Fault | undefined;
}

function matches(rule: FaultRule, path: string, query: Record<string, string>): boolean {
  if (typeof rule.path === 'string' && rule.path !== path) return false;
  if (rule.path instanceof RegExp) {
    rule.path.lastIndex = 0; // a /g or /y RegExp keeps state between calls
    if (!rule.path.test(path)) return false;
  }
  for (const [key, value] of Object.entries(rule.query ?? {})) {
    if (query[key] !== value) return false;
  }
  return true;
}

export function createFaultSet(): FaultSet {
  let rules: ActiveRule[] = [];
  return {
    add(rule) {
      const active: ActiveRule = { rule, seen: 0, applied: 0 };
      rules.push(active);
      return () => {
        rules = rules.filter((r) => r !== active);
      };
    },
    clear() {
      rules = [];
    },
    match(path, query) {
      let chosen: ActiveRule | undefined;
      for (const active of rules) {
        if (!matches(active.rule, path, query)) continue;
        active.seen++;
        const started = active.seen > (active.rule.afterCalls ?? 0);
        const left = active.applied < (active.rule.times ?? Number.POSITIVE_INFINITY);
        if (!chosen && started && left) chosen = active;
      }
      if (chosen) chosen.applied++;
      return chosen?.rule.fault;
    },
  };
}
