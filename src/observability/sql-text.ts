/**
 * Reads SQL text the way a span needs it, in one pass and without a parser: the text with every
 * literal value replaced by `?` (OpenTelemetry's sanitization of db.query.text), and the words
 * and punctuation the query summary is built from. Quoting rules differ per database, and getting
 * them wrong would leak a literal, so each dialect says how its strings and identifiers are quoted.
 */

/** `other`: a third-party adapter's database, read strictly (both quote characters open strings). */
export type SqlDialect = 'postgresql' | 'mysql' | 'sqlite' | 'other';

export interface SqlToken {
  /** word: a keyword or bare identifier; name: a quoted identifier; mark: one of ( ) , ; . */
  kind: 'word' | 'name' | 'mark';
  text: string;
}

export interface ScannedSql {
  /** The text with string, number, boolean, hex and blob literals as `?` and comments dropped. */
  sanitized: string;
  tokens: SqlToken[];
}

interface Quoting {
  /** Characters that open a string literal. */
  strings: string;
  /** Characters that open a quoted identifier, with their closing character. */
  names: Record<string, string>;
  /** Whether a backslash escapes the next character inside '...' strings. */
  backslashInStrings: boolean;
}

const QUOTING: Record<SqlDialect, Quoting> = {
  // E'...' strings take backslash escapes; standard '...' strings do not (standard_conforming_strings).
  postgresql: { strings: "'", names: { '"': '"' }, backslashInStrings: false },
  // MySQL reads "..." as a string unless ANSI_QUOTES is set; sanitizing it is the safe reading.
  mysql: { strings: '\'"', names: { '`': '`' }, backslashInStrings: true },
  sqlite: { strings: "'", names: { '"': '"', '`': '`', '[': ']' }, backslashInStrings: false },
  // Over-sanitizing a quoted name costs a table name in the summary; under-sanitizing would leak a value.
  other: { strings: '\'"', names: {}, backslashInStrings: false },
};

const isWordStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c > '\x7f';
const isWordPart = (c: string) => isWordStart(c) || (c >= '0' && c <= '9') || c === '$';
const isDigit = (c: string) => c >= '0' && c <= '9';

export function scanSql(sql: string, dialect: SqlDialect): ScannedSql {
  const q = QUOTING[dialect];
  const tokens: SqlToken[] = [];
  let out = '';
  let i = 0;
  const n = sql.length;
  const literal = (end: number) => {
    out += '?';
    i = end;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if ((c === '-' && next === '-') || (c === '#' && dialect === 'mysql')) {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? n : eol;
      out += ' ';
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      out += ' ';
    } else if (q.strings.includes(c)) {
      literal(endOfString(sql, i, c, q.backslashInStrings));
    } else if ((c === 'E' || c === 'e') && next === "'" && dialect === 'postgresql') {
      literal(endOfString(sql, i + 1, "'", true));
    } else if ((c === 'X' || c === 'x' || c === 'B' || c === 'b') && next === "'") {
      literal(endOfString(sql, i + 1, "'", false));
    } else if (c in q.names) {
      const close = q.names[c];
      const end = endOfString(sql, i, close, false, c === close);
      tokens.push({ kind: 'name', text: sql.slice(i, end) });
      out += sql.slice(i, end);
      i = end;
    } else if (c === '$' && dialect === 'postgresql' && !isDigit(next ?? '')) {
      const tagEnd = sql.indexOf('$', i + 1);
      const tag = tagEnd === -1 ? '' : sql.slice(i, tagEnd + 1);
      if (tag !== '' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$$/.test(tag)) {
        const end = sql.indexOf(tag, tagEnd + 1);
        literal(end === -1 ? n : end + tag.length);
      } else {
        out += c;
        i++;
      }
    } else if (isDigit(c) || (c === '.' && isDigit(next ?? ''))) {
      literal(endOfNumber(sql, i));
    } else if (isWordStart(c)) {
      let end = i + 1;
      while (end < n && isWordPart(sql[end])) end++;
      const word = sql.slice(i, end);
      const upper = word.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') {
        literal(end);
      } else {
        tokens.push({ kind: 'word', text: word });
        out += word;
        i = end;
      }
    } else if ((c === '$' || c === '?' || c === ':' || c === '@') && isWordPart(next ?? '')) {
      // A placeholder ($1, ?1, :name, @name): kept, it holds no value.
      let end = i + 1;
      while (end < n && isWordPart(sql[end])) end++;
      out += sql.slice(i, end);
      i = end;
    } else {
      if (c === '(' || c === ')' || c === ',' || c === ';' || c === '.') tokens.push({ kind: 'mark', text: c });
      out += c;
      i++;
    }
  }
  return { sanitized: out, tokens };
}

/** Index just past a quoted run opened at `start`; doubled quotes are escapes; unterminated runs to the end. */
function endOfString(sql: string, start: number, close: string, backslash: boolean, doubling = true): number {
  for (let i = start + 1; i < sql.length; i++) {
    const c = sql[i];
    if (backslash && c === '\\') {
      i++;
    } else if (c === close) {
      if (doubling && sql[i + 1] === close) i++;
      else return i + 1;
    }
  }
  return sql.length;
}

/** Index just past a number: digits, a fraction, an exponent, or a 0x… hex literal. */
function endOfNumber(sql: string, start: number): number {
  let i = start;
  if (sql[i] === '0' && (sql[i + 1] === 'x' || sql[i + 1] === 'X')) {
    i += 2;
    while (i < sql.length && /[0-9a-fA-F]/.test(sql[i])) i++;
    return i;
  }
  while (i < sql.length && (isDigit(sql[i]) || sql[i] === '.')) i++;
  if ((sql[i] === 'e' || sql[i] === 'E') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
    i += 2;
    while (i < sql.length && isDigit(sql[i])) i++;
  }
  // A number glued to letters (1abc) is read whole, so no letter survives beside the `?`.
  while (i < sql.length && isWordPart(sql[i])) i++;
  return i;
}
