import { EventEmitter } from 'eventemitter3';
import type { Logger } from '../shared/logger';
import type { PoolEvents } from './events';

/**
 * The pool's event emitter, with listeners kept out of the pool's business. A listener that
 * throws would otherwise throw out of whatever the pool was doing when it emitted: a caller's
 * acquire (the connection stays lent), a release (it vanishes from the counts), a timer (an
 * uncaught exception), generic-pool's create (an unhandled rejection). Here the exception is
 * caught at emit() and reported on 'error', or to the logger when nobody listens to 'error' (or
 * the 'error' listener throws too). As with Node's EventEmitter, the listeners after the one that
 * threw are skipped for that one event.
 */
export class IsolatedEmitter extends EventEmitter<PoolEvents> {
  constructor(
    private readonly emitterName: string,
    protected readonly logger: Logger,
  ) {
    super();
  }

  override emit<T extends EventEmitter.EventNames<PoolEvents>>(event: T, ...args: EventEmitter.EventArgs<PoolEvents, T>): boolean {
    try {
      return super.emit(event, ...args);
    } catch (err) {
      this.listenerFailed(String(event), err);
      return true;
    }
  }

  private listenerFailed(event: string, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    const context = `a listener for '${event}' threw`;
    if (event !== 'error' && this.listenerCount('error') > 0) {
      try {
        super.emit('error', { pool: this.emitterName, error, context });
        return;
      } catch (second) {
        this.log(second, `a listener for 'error' threw (while reporting that ${context})`);
        return;
      }
    }
    this.log(error, context);
  }

  private log(err: unknown, context: string): void {
    try {
      this.logger.error({ pool: this.emitterName, context, err: err instanceof Error ? err.message : String(err) }, 'lifeguard: an event listener threw; the pool carried on');
    } catch {
      // A logger that throws too has nowhere left to report to; the pool must still carry on.
    }
  }
}
