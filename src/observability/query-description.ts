/**
 * What a query span says about its SQL: the name (db.query.summary) and db.query.text. Applications
 * send the same few statements over and over, so each text is read once per pool and remembered
 * (a bounded map, emptied when full); a very long text is read each time rather than kept.
 */
import { summarizeSql } from './query-summary';
import { scanSql, type SqlDialect } from './sql-text';

export interface QueryDescription {
  /** db.query.summary, also the span name; '' when the text has no operation lifeguard recognises. */
  summary: string;
  /** db.query.text: as sent when parameterized, else with every literal replaced by `?`. */
  text: string;
}

const MAX_REMEMBERED = 500;
const MAX_REMEMBERED_LENGTH = 4096;

/** How a database system's SQL quotes strings and names (sql-text.ts); an unknown one is read strictly. */
export function dialectOf(system: string): SqlDialect {
  if (system === 'postgresql' || system === 'mysql' || system === 'mariadb' || system === 'sqlite') return system === 'mariadb' ? 'mysql' : system;
  return 'other';
}

export class QueryDescriptions {
  private readonly parameterized = new Map<string, QueryDescription>();
  private readonly literal = new Map<string, QueryDescription>();

  constructor(private readonly dialect: SqlDialect) {}

  /**
   * OpenTelemetry's rule for db.query.text: parameterized text is kept as written (the caller put
   * its values in parameters, which are never recorded); text without parameters is sanitized,
   * since its literals are the values.
   */
  describe(sql: string, parameterized: boolean): QueryDescription {
    const memory = parameterized ? this.parameterized : this.literal;
    const known = memory.get(sql);
    if (known !== undefined) return known;
    const scanned = scanSql(sql, this.dialect);
    const described = { summary: summarizeSql(scanned.tokens), text: parameterized ? sql : scanned.sanitized };
    if (sql.length <= MAX_REMEMBERED_LENGTH) {
      if (memory.size >= MAX_REMEMBERED) memory.clear();
      memory.set(sql, described);
    }
    return described;
  }
}
