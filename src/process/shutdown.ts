import { closeAllPools } from './pool-registry';

export interface ShutdownOptions {
  signals?: NodeJS.Signals[];
  /** How long in-flight work may run before connections are closed under it. */
  timeoutMs?: number;
  /** Called once the pools are drained, before the process is let go. */
  onDrained?: (signal: NodeJS.Signals) => void;
}

/**
 * On SIGTERM (and SIGINT), drains every open pool (getPool and createPool alike), then lets the process exit: the signal is
 * raised again with our handler removed, so the default action (or the application's own handler)
 * runs as if lifeguard were not there. Returns a function that removes the hooks.
 */
export function installShutdownHooks(opts: ShutdownOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let draining = false;
  const handler = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    void closeAllPools({ timeoutMs: opts.timeoutMs ?? 10_000 })
      .catch(() => undefined)
      .then(() => {
        uninstall();
        opts.onDrained?.(signal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  };
  const uninstall = () => {
    for (const signal of signals) process.removeListener(signal, handler);
  };
  for (const signal of signals) process.on(signal, handler);
  return uninstall;
}
