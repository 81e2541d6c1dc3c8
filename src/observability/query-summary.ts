import type { SqlToken } from './sql-text';

/**
 * db.query.summary from a scanned query, as OpenTelemetry's "Generating a summary of the query"
 * describes it: the operations and their targets in the order written, as written (no case
 * normalisation), at most 255 characters — `SELECT orders`, `INSERT shipping_details SELECT orders`,
 * `SELECT SELECT orders customers` for a subquery. It is the span name, so it must stay
 * low-cardinality: no literal ever reaches it (they are not tokens), and a statement that is not
 * a query (SET, SHOW, BEGIN, ...) is summarised by its first word alone.
 */

const MAX_SUMMARY = 255;

/** Operations whose targets follow (INTO, FROM, JOIN, or, for UPDATE, directly). */
const OPERATIONS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE', 'UPSERT', 'CALL', 'EXEC', 'EXECUTE']);
const DDL = new Set(['CREATE', 'ALTER', 'DROP', 'TRUNCATE']);
/** DDL object kinds kept in the summary (`CREATE TABLE orders`); those marked true name a target. */
const OBJECT_KINDS = new Map<string, boolean>([
  ['TABLE', true], ['VIEW', true], ['SEQUENCE', true], ['INDEX', false], ['SCHEMA', false], ['DATABASE', false],
  ['FUNCTION', false], ['PROCEDURE', false], ['TRIGGER', false], ['TYPE', false], ['EXTENSION', false], ['ROLE', false], ['USER', false],
]);
/** An operation word after these is part of a clause, not an operation: ON UPDATE, FOR UPDATE, DO UPDATE, KEY UPDATE, OR REPLACE. */
const CLAUSE_PREFIXES = new Set(['ON', 'FOR', 'DO', 'KEY', 'OR']);
/** Words that end a target list or are never a target or alias. */
const KEYWORDS = new Set([
  'WHERE', 'JOIN', 'INNER', 'LEFT', 'RIGHT', 'FULL', 'OUTER', 'CROSS', 'NATURAL', 'ON', 'USING', 'GROUP', 'ORDER', 'BY',
  'HAVING', 'LIMIT', 'OFFSET', 'UNION', 'INTERSECT', 'EXCEPT', 'SET', 'VALUES', 'VALUE', 'DEFAULT', 'SELECT', 'FROM',
  'RETURNING', 'WINDOW', 'FOR', 'LATERAL', 'AS', 'WITH', 'FETCH', 'INTO', 'WHEN', 'THEN', 'ELSE', 'END', 'AND', 'OR',
  'NOT', 'IS', 'NULL', 'TABLESAMPLE', 'PARTITION', 'STRAIGHT_JOIN', 'USE', 'FORCE', 'IGNORE', 'ONLY', 'IF', 'EXISTS',
  'DO', 'CONFLICT', 'DUPLICATE', 'LOCK', 'QUALIFY', 'OVERRIDING', 'UPDATE', 'DELETE', 'INSERT', 'MERGE', 'ALL', 'DISTINCT',
]);
/** Skipped before a target: UPDATE ONLY t, FROM LATERAL (...), DROP TABLE IF EXISTS t. */
const BEFORE_TARGET = new Set(['ONLY', 'LATERAL', 'IF', 'NOT', 'EXISTS']);

const upper = (t: SqlToken | undefined) => (t !== undefined && t.kind === 'word' ? t.text.toUpperCase() : '');
const isMark = (t: SqlToken | undefined, mark: string) => t !== undefined && t.kind === 'mark' && t.text === mark;

export function summarizeSql(tokens: readonly SqlToken[]): string {
  const parts: string[] = [];
  let length = -1;
  const add = (part: string): boolean => {
    if (length + 1 + part.length > MAX_SUMMARY) return false;
    parts.push(part);
    length += 1 + part.length;
    return true;
  };
  let i = 0;
  let depth = 0;
  /** Paren depths at which an operation was seen: FROM/INTO/JOIN count only at such a depth (not EXTRACT(x FROM y)). */
  const opDepths: number[] = [];
  let atStart = true;

  /** Reads a target (schema.table, "quoted") at i, adds it, returns the index after it. */
  const target = (from: number): number => {
    let j = from;
    while (BEFORE_TARGET.has(upper(tokens[j]))) j++;
    const first = tokens[j];
    if (first === undefined || first.kind === 'mark' || (first.kind === 'word' && KEYWORDS.has(upper(first)))) return j;
    let name = first.text;
    j++;
    while (isMark(tokens[j], '.') && tokens[j + 1] !== undefined && tokens[j + 1].kind !== 'mark') {
      name += `.${tokens[j + 1].text}`;
      j += 2;
    }
    add(name);
    return j;
  };
  /** FROM a, b AS x, c y: every table of a comma-separated list, aliases skipped. */
  const targetList = (from: number): number => {
    let j = target(from);
    for (;;) {
      if (upper(tokens[j]) === 'AS') j++;
      const alias = tokens[j];
      if (alias !== undefined && alias.kind !== 'mark' && !KEYWORDS.has(upper(alias))) j++;
      if (!isMark(tokens[j], ',')) return j;
      j = target(j + 1);
    }
  };
  const skipStatement = (from: number): number => {
    let j = from;
    while (j < tokens.length && !isMark(tokens[j], ';')) j++;
    return j;
  };

  while (i < tokens.length) {
    const token = tokens[i];
    if (token.kind === 'mark') {
      if (token.text === ';') {
        atStart = true;
        depth = 0;
        opDepths.length = 0;
      } else if (token.text === '(') depth++;
      else if (token.text === ')') {
        depth = Math.max(0, depth - 1);
        while (opDepths.length > 0 && opDepths[opDepths.length - 1] > depth) opDepths.pop();
      }
      i++;
      continue;
    }
    const word = upper(token);
    const starting = atStart;
    atStart = false;
    if (starting && DDL.has(word)) {
      i = ddlHead(tokens, i, add, targetList);
      i = skipStatement(i);
      continue;
    }
    if (starting && !OPERATIONS.has(word) && word !== 'WITH' && word !== 'EXPLAIN') {
      // SET, SHOW, BEGIN, PRAGMA, VACUUM...: the command is the summary; what follows may be values.
      if (token.kind === 'word') add(token.text);
      i = skipStatement(i + 1);
      continue;
    }
    if (word === 'EXPLAIN' && starting) {
      // EXPLAIN [ANALYZE] [(options)] [QUERY PLAN] <query>: its options are not operations.
      add(token.text);
      i++;
      while (i < tokens.length && !OPERATIONS.has(upper(tokens[i])) && upper(tokens[i]) !== 'WITH' && !isMark(tokens[i], ';')) i++;
      continue;
    }
    if (OPERATIONS.has(word) && !CLAUSE_PREFIXES.has(upper(tokens[i - 1])) && !isMark(tokens[i + 1], '(')) {
      add(token.text);
      opDepths.push(depth);
      i = word === 'UPDATE' ? target(i + 1) : i + 1;
      continue;
    }
    const atOperationDepth = opDepths.length > 0 && opDepths[opDepths.length - 1] === depth;
    if ((word === 'FROM' || word === 'JOIN') && atOperationDepth) {
      i = targetList(i + 1);
      continue;
    }
    if (word === 'INTO' && atOperationDepth) {
      i = target(i + 1);
      continue;
    }
    i++;
  }
  return parts.join(' ');
}

/** CREATE [OR REPLACE] [UNIQUE|TEMP|...] TABLE [IF NOT EXISTS] name: the operation, the kind and, for tables, the name. */
function ddlHead(tokens: readonly SqlToken[], start: number, add: (part: string) => boolean, targets: (from: number) => number): number {
  add(tokens[start].text);
  for (let j = start + 1; j < Math.min(tokens.length, start + 5); j++) {
    const kind = upper(tokens[j]);
    const named = OBJECT_KINDS.get(kind);
    if (named === undefined) continue;
    add(tokens[j].text);
    return named ? targets(j + 1) : j + 1;
  }
  // TRUNCATE orders (TABLE is optional there).
  if (upper(tokens[start]) === 'TRUNCATE') return targets(start + 1);
  return start + 1;
}
