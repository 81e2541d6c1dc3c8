/**
 * Which statements may share a connection with other callers' statements. A pipelined statement
 * runs in the same session as the ones around it, so it must leave that session as it found it:
 * an autocommit statement of the kinds below, one statement only. Anything else (BEGIN, SET,
 * LISTEN, COPY, PREPARE, DECLARE, several statements in one string, ...) runs alone on a
 * connection, as every statement did before pipelining. A false "no" only costs pipelining.
 */
const SHAREABLE_KEYWORDS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'VALUES', 'TABLE', 'MERGE']);

const LEADING_COMMENTS = /^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)+/;

export function isShareableSql(sql: string): boolean {
  const text = sql.replace(LEADING_COMMENTS, '');
  const keyword = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
  if (keyword === undefined || !SHAREABLE_KEYWORDS.has(keyword)) return false;
  // One statement only: "SELECT 1; BEGIN" would open a transaction under the statements behind it.
  // A ';' inside a literal is refused too: not worth a parser, the statement just runs alone.
  const semicolon = text.indexOf(';');
  return semicolon === -1 || text.slice(semicolon + 1).trim() === '';
}
