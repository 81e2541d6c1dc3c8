import type { Logger } from '../shared/logger';

/** The pool's own emit, without isolation: how a listener's failure is reported on 'error'. */
export type RawEmit = (event: 'error', payload: { pool: string; error: Error; context: string }) => boolean;

/**
 * Runs one emit with the listeners kept out of the pool's business. A listener that throws would
 * otherwise throw out of whatever the pool was doing when it emitted: a caller's acquire (the
 * connection stays lent), a release (it vanishes from the counts), a timer (an uncaught
 * exception), generic-pool's create (an unhandled rejection and a leaked session). The exception
 * is caught here and reported on 'error', or to the logger when nobody listens to 'error' (or the
 * 'error' listener throws too). As with Node's EventEmitter, the listeners after the one that
 * threw are skipped for that one event.
 */
export function emitIsolated(
  owner: { readonly name: string; listenerCount(event: 'error'): number },
  logger: Logger,
  event: string,
  emit: () => boolean,
  rawEmit: RawEmit,
): boolean {
  try {
    return emit();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const context = `a listener for '${event}' threw`;
    if (event !== 'error' && owner.listenerCount('error') > 0) {
      try {
        rawEmit('error', { pool: owner.name, error, context });
      } catch (second) {
        log(owner.name, logger, second, `a listener for 'error' threw (while reporting that ${context})`);
      }
    } else {
      log(owner.name, logger, error, context);
    }
    return true;
  }
}

function log(pool: string, logger: Logger, err: unknown, context: string): void {
  try {
    logger.error({ pool, context, err: err instanceof Error ? err.message : String(err) }, 'lifeguard: an event listener threw; the pool carried on');
  } catch {
    // A logger that throws too has nowhere left to report to; the pool must still carry on.
  }
}
