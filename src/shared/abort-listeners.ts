/**
 * One 'abort' listener per signal, however many of the pool's waiters share it. Node prints a
 * MaxListenersExceededWarning past 10 listeners on one AbortSignal, and sharing one is normal use:
 * a request's signal passed to each of its queries, the pool's own closing signal under every
 * connection being opened.
 */
interface Listening {
  readonly listeners: Set<() => void>;
  readonly dispatch: () => void;
}

const listening = new WeakMap<AbortSignal, Listening>();

/** Calls listener once when signal aborts; returns the function that stops listening (idempotent). */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let entry = listening.get(signal);
  if (entry === undefined) {
    const listeners = new Set<() => void>();
    const dispatch = () => {
      listening.delete(signal);
      for (const fn of listeners) {
        try {
          fn();
        } catch {
          // The pool's own listeners settle promises and do not throw; one that did must not stop the rest.
        }
      }
    };
    entry = { listeners, dispatch };
    listening.set(signal, entry);
    signal.addEventListener('abort', dispatch, { once: true });
  }
  const { listeners, dispatch } = entry;
  listeners.add(listener);
  return () => {
    if (!listeners.delete(listener) || listeners.size > 0 || listening.get(signal) !== entry) return;
    listening.delete(signal);
    signal.removeEventListener('abort', dispatch);
  };
}
