/**
 * pg's Submittable: a query object that drives the protocol itself (pg-cursor, pg-query-stream,
 * pg-copy-streams). pg calls its handle* methods as messages arrive; the last one is
 * handleReadyForQuery. PgPool holds the connection for the submittable's whole life and learns
 * its end by wrapping those two handlers on the instance.
 */
export interface Submittable {
  submit(connection: unknown): void;
  handleReadyForQuery?(connection: unknown): void;
  handleError?(err: Error, connection: unknown): void;
}

export function isSubmittable(value: unknown): value is Submittable {
  return typeof value === 'object' && value !== null && typeof (value as { submit?: unknown }).submit === 'function';
}

/** The SQL a submittable runs, for slowQuery and logs: pg-cursor's text, pg-query-stream's cursor's. */
export function submittableText(query: Submittable): string {
  const own = (query as { text?: unknown }).text;
  if (typeof own === 'string') return own;
  const inner = (query as { cursor?: { text?: unknown } }).cursor?.text;
  return typeof inner === 'string' ? inner : `[${query.constructor?.name ?? 'submittable'}]`;
}

/**
 * Resolves when pg has finished with `query` (its ReadyForQuery), rejects with the error that
 * ended it. An error the server reported is followed by ReadyForQuery and settles then, so the
 * connection is free when the promise settles; an error that broke the connection (`broken`)
 * never gets one and settles at once.
 */
export function whenSubmittableDone(query: Submittable, broken: (err: Error) => boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failure: Error | undefined;
    const onReady = query.handleReadyForQuery;
    const onError = query.handleError;
    query.handleReadyForQuery = function (this: Submittable, connection: unknown) {
      try {
        onReady?.call(this, connection);
      } finally {
        if (failure) reject(failure);
        else resolve();
      }
    };
    query.handleError = function (this: Submittable, err: Error, connection: unknown) {
      failure ??= err;
      try {
        onError?.call(this, err, connection);
      } finally {
        if (broken(err)) reject(err);
      }
    };
  });
}

/** Tells a submittable that never reached a connection why (it emits 'error' or fails its reads). */
export function failSubmittable(query: Submittable, err: Error): void {
  query.handleError?.(err, undefined);
}
