/**
 * pg's callback style on top of a promise. The callback always runs on a later tick, never inside
 * the call that took it (pg's documented rule), and outside the promise chain: an exception the
 * callback throws is an uncaught exception, as with pg, not a rejection nobody sees.
 */
export function settleCallback<T>(promise: Promise<T>, callback: (err: Error | undefined, value?: T) => void): void {
  promise.then(
    (value) => process.nextTick(callback, undefined, value),
    (err: unknown) => process.nextTick(callback, err instanceof Error ? err : new Error(String(err))),
  );
}

/** Calls back with an error on a later tick (for calls refused before any work started). */
export function failLater(callback: (err: Error) => void, err: Error): void {
  process.nextTick(callback, err);
}
