/**
 * The connect backoff's figures in prose must be the code's: docs/troubleshooting.md once gave the
 * cap as 1 s after the code had moved to 500 ms (issue 15, small), and an operator sizing a
 * restart window from it would have been off by half.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BACKOFF } from '../../src/pool/backoff';

const root = join(__dirname, '../..');
const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

// "100 ms doubling to 500 ms" and "100 ms doubling to a 500 ms cap", across a line break too.
// Other backoffs (pool.transaction's 20 ms retry) start elsewhere and are not matched.
const CONNECT_BACKOFF = new RegExp(`${DEFAULT_BACKOFF.baseMs}\\s+ms\\s+doubling\\s+to\\s+(?:a\\s+)?(\\d+(?:\\.\\d+)?)\\s*(ms|s)\\b`, 'g');

function capsIn(text: string): number[] {
  return [...text.matchAll(CONNECT_BACKOFF)].map((m) => Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

describe('the connect backoff in the docs', () => {
  it('is described in docs/troubleshooting.md', () => {
    expect(capsIn(readFileSync(join(root, 'docs/troubleshooting.md'), 'utf8')).length).toBeGreaterThan(0);
  });

  it.each(docs)('%s gives the cap the code has', (doc) => {
    for (const cap of capsIn(readFileSync(join(root, doc), 'utf8'))) expect(cap).toBe(DEFAULT_BACKOFF.capMs);
  });
});
