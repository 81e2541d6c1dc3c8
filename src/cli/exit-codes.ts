/**
 * Exit codes scripts can rely on. They are part of the CLI's contract (docs/getting-started.md
 * lists them): never renumber one.
 */
export const EXIT = {
  /** Everything worked; the database is healthy. */
  ok: 0,
  /** The check failed: unhealthy, unreachable, or a benchmark with errors. */
  failed: 1,
  /** Bad flags, a bad environment variable, or figures that contradict each other. */
  usage: 2,
  /** Healthy, but with warnings, and --strict asked for them to count. */
  warnings: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
