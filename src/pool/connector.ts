import type { Adapter, ConnectCredentials } from '../../adapters/contract';
import { onAbort } from '../shared/abort-listeners';
import { startDeadline, stopDeadline } from '../shared/deadline';
import { ConnectionError } from '../shared/errors';
import { messageOf } from '../shared/message-of';
import { isError, redactError, redactText } from '../shared/secret';
import { secretForConnection, type SecretSource } from '../shared/secret-provider';
import { ConnectGate } from './backoff';

export interface ConnectorOptions {
  poolName: string;
  maskedUrl: string;
  connectTimeoutMs: number;
  /** The secret texts to scrub from errors, read at each error: a function's values change. */
  secrets: () => readonly string[];
  /** The `password` and `authToken` options, fetched for each new connection. */
  credentials: { password?: SecretSource; authToken?: SecretSource };
}

/**
 * Opens connections: bounded by connectTimeoutMs (generic-pool has no create timeout), spaced by
 * the backoff gate, abandoned when the pool closes. A driver that ignores the abort signal and
 * connects late has its connection closed rather than leaked. Each attempt first fetches the
 * connection's password and token (a function is asked every time, within the same timeout), so a
 * function that fails is a failed attempt like any other: counted, reported, and retried with backoff.
 */
export class Connector<Raw> {
  readonly gate = new ConnectGate();
  private readonly closing = new AbortController();

  constructor(
    private readonly adapter: Adapter<Raw>,
    private readonly options: ConnectorOptions,
  ) {}

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
    // One listener on the pool's closing signal however many connects are under way (abort-listeners.ts).
    const stopListening = onAbort(this.closing.signal, () => attempt.abort(this.closing.signal.reason));
    const deadline = startDeadline(connectTimeoutMs, () =>
      attempt.abort(new ConnectionError(`Connecting to ${maskedUrl} timed out after ${connectTimeoutMs} ms.`)),
    );
    const cleanup = () => {
      stopDeadline(deadline);
      stopListening();
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
      const connecting = this.credentials().then((credentials) => {
        attempt.signal.throwIfAborted();
        return this.adapter.connect(attempt.signal, credentials);
      });
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

  /** This connection's secrets, each fetched now; undefined when neither option is set (the URL's are used). */
  private async credentials(): Promise<ConnectCredentials | undefined> {
    const { password, authToken } = this.options.credentials;
    if (password === undefined && authToken === undefined) return undefined;
    const [passwordText, tokenText] = await Promise.all([this.fetch('password', password), this.fetch('authToken', authToken)]);
    const credentials: ConnectCredentials = {};
    if (passwordText !== undefined) credentials.password = passwordText;
    if (tokenText !== undefined) credentials.authToken = tokenText;
    return credentials;
  }

  /** One secret for one connection; a function that throws or gives no string is a ConnectionError with its error, redacted, as cause. */
  private async fetch(option: 'password' | 'authToken', source: SecretSource | undefined): Promise<string | undefined> {
    if (source === undefined) return undefined;
    try {
      return await secretForConnection(source);
    } catch (err) {
      const cause = this.redact(err);
      throw new ConnectionError(
        `Pool "${this.options.poolName}" could not get the ${option} for a new connection: the ${option} function failed: ${messageOf(cause)}`,
        cause,
      );
    }
  }

  /** Driver messages sometimes echo the URL; make sure no secret rides along in the error. */
  private redact(err: unknown): unknown {
    const secrets = this.options.secrets();
    if (isError(err)) return redactError(err, secrets);
    return new ConnectionError(redactText(String(err), secrets));
  }
}
