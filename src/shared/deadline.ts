/**
 * lifeguard's one way to bound a wait: a statement, a liveness check, a connection attempt, a turn
 * in the writer lane, a drain, the acquire waiters of a pool. One rule for every limit in
 * milliseconds: a positive finite number is a limit, 0 (or Infinity) is none, and a timer that
 * is no longer needed is always cleared, so a settled wait leaves nothing behind.
 */

/** A running deadline; undefined when there is no limit. */
export type Deadline = NodeJS.Timeout | undefined;

/** Calls `expire` once `ms` have passed, unless stopDeadline() comes first. No limit: no timer. */
export function startDeadline(ms: number, expire: () => void): Deadline {
  return ms > 0 && Number.isFinite(ms) ? setTimeout(expire, ms) : undefined;
}

export function stopDeadline(deadline: Deadline): void {
  if (deadline !== undefined) clearTimeout(deadline);
}

/**
 * Settles as `work` does, or, once `ms` have passed first, with what `onTimeout` returns (or
 * rejects with what it throws). `work` is not cancelled: a caller that needs it stopped does that
 * in onTimeout (marks the connection broken, destroys the socket).
 */
export function withDeadline<T, U = never>(work: Promise<T>, ms: number, onTimeout: () => U): Promise<T | U> {
  if (!(ms > 0 && Number.isFinite(ms))) return work;
  return new Promise<T | U>((resolve, reject) => {
    const deadline = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (err) {
        reject(err);
      }
    }, ms);
    work.then(
      (value) => {
        clearTimeout(deadline);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(deadline);
        reject(err);
      },
    );
  });
}
