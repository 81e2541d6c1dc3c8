import type { Client } from 'pg';

/**
 * Which pool.query texts run as named statements, per pg client. A named statement is parsed and
 * planned once per connection and then only bound and executed: measured on this machine, an
 * indexed read by primary key 1.3x (ten plain clients) to 1.6x (two pipelined clients) the
 * throughput of the same read unnamed, at less client CPU (docs/performance.md). A parameterless
 * text is not worth it: pg sends it as one simple-protocol message, which a name would turn into
 * four, and SELECT 1 got slower.
 *
 * Safe by construction: only pool.query statements get names (the pool says so with `prepare`),
 * so each runs in autocommit, and a statement whose name the server does not know (26000: PgBouncer
 * in transaction mode sends it to another backend; DISCARD ALL or DEALLOCATE on a lease), already
 * knows (42P05: the same behind PgBouncer) or whose plan no longer fits its table (0A000, after
 * DDL) failed before it ran: it is run again, unnamed, and that text is never named on that
 * client again. Losing statements is what a transaction-mode PgBouncer without
 * max_prepared_statements does on every connection, so after MAX_LOSSES of them the adapter stops
 * naming statements altogether and says why once.
 */

/** Texts named per adapter; beyond it a text runs unnamed (the server keeps each one per backend). */
export const MAX_PREPARED_TEXTS = 256;

/** Lost statements (26000, 42P05) before naming stops for good. */
export const MAX_LOSSES = 3;

/** Texts seen once, remembered until a second sight names them; cleared when it fills. */
const MAX_SEEN_ONCE = 4096;

const STATEMENT_LOST = new Set(['26000', '42P05']);
const PLAN_CHANGED = '0A000';
/** PostgreSQL's context for an error while binding a value: "unnamed portal parameter $1 = '...'". */
const BIND_PARAMETER_CONTEXT = /portal (".*" )?parameter \$\d+/;

export type Recovery = 'unnamed' | 'probe';

interface PgStatementRecords {
  connection?: { parsedStatements?: Record<string, string>; submittedNamedStatements?: Record<string, string> };
}

export class PreparedStatements {
  private readonly names = new Map<string, string>();
  private readonly seenOnce = new Set<string>();
  /** Per client: texts that run unnamed there from now on (the server lost or outgrew their statement). */
  private readonly unnamedOn = new WeakMap<Client, Set<string>>();
  /** Whether any client has a text in unnamedOn: until then the hot path skips the WeakMap. */
  private anyUnnamed = false;
  private losses = 0;
  private off = false;
  private stoppedListener: ((reason: string) => void) | undefined;

  /** The statement name for this text on this client, or undefined: run it unnamed. */
  nameFor(client: Client, sql: string): string | undefined {
    if (this.off) return undefined;
    const name = this.names.get(sql);
    if (name !== undefined) return this.anyUnnamed && this.unnamedOn.get(client)?.has(sql) === true ? undefined : name;
    // First sight: a text that never comes back (dynamic SQL) takes no name.
    if (!this.seenOnce.has(sql)) {
      if (this.seenOnce.size >= MAX_SEEN_ONCE) this.seenOnce.clear();
      this.seenOnce.add(sql);
      return undefined;
    }
    if (this.names.size >= MAX_PREPARED_TEXTS) return undefined;
    this.seenOnce.delete(sql);
    const named = `lifeguard_${this.names.size + 1}`;
    this.names.set(sql, named);
    return named;
  }

  /**
   * After a named statement failed, what to do (undefined: the error is the caller's).
   * - 'unnamed': it never ran, because the server lost its statement or the plan no longer fits; it
   *   runs again unnamed, and the text stays unnamed on this client (done here).
   * - 'probe': a parameter could not be bound (the error's context names a portal parameter), so it
   *   never ran either. Either the value is wrong, or the parameter types the statement was parsed
   *   with are stale (a migration changed the column from int to bigint). It runs again unnamed, and
   *   if that succeeds the caller calls keepUnnamed.
   */
  recover(client: Client, name: string, sql: string, err: unknown): Recovery | undefined {
    const { code, where } = (err ?? {}) as { code?: unknown; where?: unknown };
    const lost = typeof code === 'string' && STATEMENT_LOST.has(code);
    if (!lost && code !== PLAN_CHANGED) return typeof where === 'string' && BIND_PARAMETER_CONTEXT.test(where) ? 'probe' : undefined;
    this.keepUnnamed(client, name, sql);
    if (lost && ++this.losses >= MAX_LOSSES && !this.off) {
      this.off = true;
      this.stoppedListener?.(
        `the server lost ${this.losses} prepared statements (SQLSTATE ${code}: PgBouncer in transaction mode without max_prepared_statements, or DISCARD ALL/DEALLOCATE on leased connections); pool.query runs every statement unnamed from now on. Set preparedStatements: false (DB_PREPARED_STATEMENTS=false) to skip the first losses.`,
      );
    }
    return 'unnamed';
  }

  /** The text runs unnamed on this client from now on, and pg forgets it had parsed it. */
  keepUnnamed(client: Client, name: string, sql: string): void {
    const records = (client as unknown as PgStatementRecords).connection;
    if (records?.parsedStatements) delete records.parsedStatements[name];
    if (records?.submittedNamedStatements) delete records.submittedNamedStatements[name];
    let unnamed = this.unnamedOn.get(client);
    if (unnamed === undefined) this.unnamedOn.set(client, (unnamed = new Set()));
    unnamed.add(sql);
    this.anyUnnamed = true;
  }

  onStopped(listener: (reason: string) => void): void {
    this.stoppedListener = listener;
  }
}
