import { onAbort } from '../shared/abort-listeners';

/**
 * Spaces out connection attempts while the database is failing. generic-pool retries a failed
 * create immediately and forever while anyone waits; a create that fails synchronously starves
 * the event loop. Every create goes through this gate: while the database is healthy, attempts
 * run in parallel; after a failure they run one at a time, each after an exponential delay with
 * jitter (100 ms doubling to a 500 ms cap), so a dead database sees about two attempts a second
 * and a restarted one is found within about half a second. (The cap was 1 s: a server restarted
 * in 0.4 s was found only 1.05 s after it was up; test/faults/server-restart.test.ts.)
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 500 };

/** New connections dead before their first loan, in a row, that are replaced without a delay. */
const DEAD_ARRIVALS_TOLERATED = 2;

export class ConnectGate {
  /** Failures since the last success. */
  consecutiveFailures = 0;
  /** Attempts made, in total; tests and reliability figures read it. */
  attempts = 0;
  lastError: unknown;
  private nextAttemptAt = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** Runs one connection attempt, waiting its turn while the database is failing. */
  async attempt<T>(open: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.consecutiveFailures === 0) return this.run(open);
    let leave!: () => void;
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => (leave = resolve));
    try {
      await previous;
      await sleepUntil(this.nextAttemptAt, signal);
      return await this.run(open);
    } finally {
      leave();
    }
  }

  /** The delay after `failures` consecutive failures: exponential, capped, with ±25 % jitter. */
  delayAfter(failures: number): number {
    const exponential = Math.min(this.policy.capMs, this.policy.baseMs * 2 ** Math.max(0, failures - 1));
    return Math.round(exponential * (0.75 + Math.random() * 0.5));
  }

  /**
   * A connection that opened but failed its setup (an onConnect hook) counts as a failed attempt:
   * without this, generic-pool would open and drop connections in a tight loop while anyone waits.
   */
  failed(err: unknown): void {
    this.consecutiveFailures++;
    this.lastError = err;
    this.nextAttemptAt = Date.now() + this.delayAfter(this.consecutiveFailures);
  }

  /** New connections found dead before their first loan since one was lent healthy. */
  deadArrivals = 0;

  /**
   * A connection that opened fine and was dead before its first loan (its backend killed right
   * away, a proxy that accepts and drops): past DEAD_ARRIVALS_TOLERATED in a row, a failed attempt
   * too, or a server that does this to every connection is redialled in a tight loop (measured:
   * 13 750 connects in 1.5 s). The odd one, a backend killed now and then, is replaced at once:
   * backing off from the first slowed the kill-loop soak (test/faults/soak-postgres.test.ts). Its
   * open already reset the failure count, so the delay grows with the dead arrivals instead.
   */
  arrivedDead(err: unknown): void {
    this.deadArrivals++;
    if (this.deadArrivals <= DEAD_ARRIVALS_TOLERATED) return;
    const failures = this.deadArrivals - DEAD_ARRIVALS_TOLERATED;
    this.consecutiveFailures = Math.max(this.consecutiveFailures, failures);
    this.lastError = err;
    this.nextAttemptAt = Date.now() + this.delayAfter(failures);
  }

  /** A new connection reached its first loan alive: dead arrivals no longer count against the next attempt. */
  arrivedAlive(): void {
    this.deadArrivals = 0;
  }

  /**
   * A new connection is ready for callers: opened and through its setup. Until then an attempt that
   * follows failures has not shown the database works (an onConnect hook may still fail it), so the
   * failure count and its error stay: a caller timing out meanwhile is told what is failing.
   */
  succeeded(): void {
    this.consecutiveFailures = 0;
    this.nextAttemptAt = 0;
  }

  private async run<T>(open: () => Promise<T>): Promise<T> {
    this.attempts++;
    try {
      return await open();
    } catch (err) {
      this.failed(err);
      throw err;
    }
  }
}

/** Resolves at `time` (Date.now() scale); rejects with the signal's reason if it aborts first. */
function sleepUntil(time: number, signal: AbortSignal): Promise<void> {
  const delay = time - Date.now();
  if (signal.aborted) return Promise.reject(signal.reason);
  if (delay <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    // unref: a pool retrying a dead database in the background must not keep a script alive.
    const timer = setTimeout(() => {
      stopListening();
      resolve();
    }, delay);
    timer.unref();
    const stopListening = onAbort(signal, () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}
