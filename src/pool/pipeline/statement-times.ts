import { isShareableSql } from './shareable-sql';

/**
 * What the pool has learned about each statement text: whether it may share a connection at all
 * (isShareableSql, worked out once per text) and how long the server took for it lately. A
 * statement is pipelined only once it is known to be short, so a pg_sleep, a lock wait or a
 * report query is never queued in front of other callers' statements: a text seen for the first
 * time runs alone, and one whose recent server time is above pipelineMaxStatementMs keeps
 * running alone until it is short again. A statement on a pipelined connection makes every
 * statement behind it wait for it, so this bounds head-of-line blocking; typical OLTP statements
 * (0.05–2 ms server time here, an fsync-bound INSERT included) are below the default 5 ms.
 */

/** Texts remembered; beyond it the oldest is forgotten (and runs alone once more next time). */
const MAX_TEXTS = 2000;

/** Weight of a slower run in the moving average. */
const NEWEST_WEIGHT = 0.5;

interface Learned {
  shareable: boolean;
  /** Recent server time, ms. */
  serverMs: number;
}

export class StatementTimes {
  private readonly texts = new Map<string, Learned>();

  constructor(private readonly maxStatementMs: number) {}

  /** The text's recent server time in ms when it may share a connection and is short; else undefined (it runs alone). */
  shortEstimate(sql: string): number | undefined {
    const learned = this.texts.get(sql);
    return learned !== undefined && learned.shareable && learned.serverMs <= this.maxStatementMs ? learned.serverMs : undefined;
  }

  /**
   * Records one run's server time (ms). Down at once, up gradually: one fast run shows what the
   * statement costs (the first run on a fresh connection is often slow), while one slow run (a
   * busy moment) should not take a short statement out of the pipeline; a statement that is slow
   * run after run is out after two or three.
   */
  record(sql: string, serverMs: number): void {
    const learned = this.texts.get(sql);
    if (learned !== undefined) {
      learned.serverMs = serverMs < learned.serverMs ? serverMs : learned.serverMs + NEWEST_WEIGHT * (serverMs - learned.serverMs);
      return;
    }
    if (this.texts.size >= MAX_TEXTS) this.texts.delete(this.texts.keys().next().value as string);
    this.texts.set(sql, { shareable: isShareableSql(sql), serverMs });
  }

  /** The learned server time of a text, ms (undefined when never seen); for tests and stats. */
  serverMsOf(sql: string): number | undefined {
    return this.texts.get(sql)?.serverMs;
  }
}
