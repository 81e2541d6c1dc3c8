import { setMaxListeners } from 'node:events';
import type { Adapter } from '../../adapters/contract';
import { startDeadline, stopDeadline } from '../shared/deadline';
import { ConnectionError } from '../shared/errors';
import { isError, redactError, redactText, type Secret } from '../shared/secret';
import { ConnectGate } from './backoff';

export interface ConnectorOptions {
  poolName: string;
  maskedUrl: string;
  connectTimeoutMs: number;
  secrets: readonly (Secret | string | undefined)[];
}

/**
 * Opens connections: bounded by connectTimeoutMs (generic-pool has no create timeout), spaced by
 * the backoff gate, abandoned when the pool closes. A driver that ignores the abort signal and
 * connects late has its connection closed rather than leaked.
 */
export class Connector<Raw> {
  readonly gate = new ConnectGate();
  private readonly closing = new AbortController();

  constructor(
    private readonly adapter: Adapter<Raw>,
    private readonly options: ConnectorOptions,
  ) {
    // Every connect under way listens on this one signal: a pool of max 20 opening at once is 20
    // listeners, not a leak, and Node's MaxListenersExceededWarning at 11 would say otherwise.
    setMaxListeners(0, this.closing.signal);
  }

  get lastError(): unknown {
    return this.gate.lastError;
  }

  /**
   * Opens one connection. `attemptMs` is how long the attempt that succeeded took, not counting
   * its wait for a turn behind the backoff gate: the connect time slowConnectMs is judged on.
   */
  async open(): Promise<{ raw: Raw; attemptMs: number }> {
    let startedAt = 0;
    const raw = await this.gate.attempt(() => {
      startedAt = performance.now();
      return this.openOnce();
    }, this.closing.signal);
    return { raw, attemptMs: performance.now() - startedAt };
  }

  /** Aborts attempts under way and any waiting for their turn. */
  stop(): void {
    this.closing.abort(new ConnectionError(`Pool "${this.options.poolName}" closed while connecting.`));
  }

  private openOnce(): Promise<Raw> {
    const { connectTimeoutMs, maskedUrl } = this.options;
    if (this.closing.signal.aborted) return Promise.reject(this.closing.signal.reason);
    const attempt = new AbortController();
    const onClose = () => attempt.abort(this.closing.signal.reason);
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    const deadline = startDeadline(connectTimeoutMs, () =>
      attempt.abort(new ConnectionError(`Connecting to ${maskedUrl} timed out after ${connectTimeoutMs} ms.`)),
    );
    const cleanup = () => {
      stopDeadline(deadline);
      this.closing.signal.removeEventListener('abort', onClose);
    };

    return new Promise<Raw>((resolve, reject) => {
      let settled = false;
      attempt.signal.addEventListener(
        'abort',
        () => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(attempt.signal.reason);
        },
        { once: true },
      );
      let connecting: Promise<Raw>;
      try {
        connecting = this.adapter.connect(attempt.signal);
      } catch (err) {
        connecting = Promise.reject(err);
      }
      connecting.then(
        (raw) => {
          if (settled) {
            // Too late: the caller has been told it failed. Close it rather than leak it.
            this.adapter.close(raw).catch(() => undefined);
            return;
          }
          settled = true;
          cleanup();
          resolve(raw);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          cleanup();
          reject(this.redact(err));
        },
      );
    });
  }

  /** Driver messages sometimes echo the URL; make sure no secret rides along in the error. */
  private redact(err: unknown): unknown {
    if (isError(err)) return redactError(err, this.options.secrets);
    return new ConnectionError(redactText(String(err), this.options.secrets));
  }
}
