/** Exit codes of every command (spec.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** bad usage or configuration: one clear message, no stack trace */
  usage: 2,
  /** a sync that finished as `partial` */
  partial: 3,
} as const;
