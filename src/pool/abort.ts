import { onAbort } from '../shared/abort-listeners';

/** `work`, or the signal's reason as soon as it aborts, whichever comes first; the listener is removed either way. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const stopListening = onAbort(signal, () => reject(signal.reason));
    work.then(
      (value) => {
        stopListening();
        resolve(value);
      },
      (err: unknown) => {
        stopListening();
        reject(err);
      },
    );
  });
}
