/**
 * The built package as a user gets it: `require('lifeguard')` and `import ... from 'lifeguard'`
 * expose the same API, and a script that closes its pool exits by itself (no timer left behind).
 * Runs against dist/, which `npm test` builds first (pretest).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const cjsEntry = join(root, 'dist/src/index.js');
const esmEntry = join(root, 'esm/index.mjs');

function run(file: string, timeoutMs = 15_000) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', timeout: timeoutMs });
  return { ...result, elapsedMs: Date.now() - started };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-entry-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('package entry points', () => {
  it('exports the same names through require and import', () => {
    const script = join(dir, 'names.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const cjs = require(${JSON.stringify(cjsEntry)});
       const esm = await import(${JSON.stringify(esmEntry)});
       const missing = Object.keys(cjs).filter((k) => !(k in esm));
       console.log(JSON.stringify({ missing, same: esm.createPool === cjs.createPool, count: Object.keys(cjs).length }));`,
    );
    const result = run(script);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { missing: string[]; same: boolean; count: number };
    expect(out.missing).toEqual([]);
    expect(out.same).toBe(true);
    expect(out.count).toBeGreaterThan(10);
  });

  it('lets a script that closes its pool exit by itself', () => {
    const script = join(dir, 'exits.js');
    writeFileSync(
      script,
      `const { createPool } = require(${JSON.stringify(cjsEntry)});
       const pool = createPool({ url: 'file:' + ${JSON.stringify(join(dir, 'exit.db'))}, min: 2, max: 4, env: {}, profile: 'production', leakDetectionMs: 1000 });
       (async () => {
         await pool.warmup();
         await pool.query('SELECT 1');
         await pool.close();
         console.log('closed');
       })();`,
    );
    const result = run(script);
    expect(result.stdout.trim()).toBe('closed');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.elapsedMs).toBeLessThan(10_000);
  });

  it('does not keep a script alive when the pool is never closed and nothing is borrowed', () => {
    const script = join(dir, 'unclosed.js');
    writeFileSync(
      script,
      `const { createPool } = require(${JSON.stringify(cjsEntry)});
       const pool = createPool({ url: 'file:' + ${JSON.stringify(join(dir, 'unclosed.db'))}, max: 2, env: {}, profile: 'production' });
       pool.query('SELECT 1').then(() => console.log('queried'));`,
    );
    const result = run(script);
    expect(result.stdout.trim()).toBe('queried');
    expect(result.status).toBe(0);
  });
});
