/**
 * SIGTERM through installShutdownHooks, in a child process running the built package (dist/, which
 * `npm test` builds first): a libsql file pool with queries in flight receives a real SIGTERM, every
 * query completes, the pools are drained and the process exits by itself. The hooks can be removed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createPool } from '../../src';
import { silentLogger } from '../../src/shared/logger';

const entry = resolve(__dirname, '../../dist/src/index.js');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-sigterm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  elapsedMs: number;
}

/** Runs a script; kills it (and fails the test) if it does not exit by itself within timeoutMs. */
function runChild(script: string, timeoutMs = 15_000): Promise<ChildResult> {
  const file = join(dir, `child-${Math.random().toString(36).slice(2)}.js`);
  writeFileSync(file, script);
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit by itself within ${timeoutMs} ms; output: ${stdout}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, elapsedMs: Date.now() - started });
    });
  });
}

describe('installShutdownHooks', () => {
  it('on SIGTERM finishes every query in flight, drains every registered pool and lets the process exit', async () => {
    const dbFile = join(dir, 'sigterm.db');
    const result = await runChild(`
      const { getPool, installShutdownHooks } = require(${JSON.stringify(entry)});
      const url = 'file:' + ${JSON.stringify(dbFile)};
      const writes = getPool('sigterm-writes', { url, env: {}, profile: 'production', max: 4, min: 2 });
      const reads = getPool('sigterm-reads', { url, env: {}, profile: 'production', max: 2, logger: { info() {}, warn() {}, error() {}, debug() {} } });
      const report = { completed: 0, failed: 0, errors: [], drained: [] };
      installShutdownHooks({ timeoutMs: 10000, onDrained: (signal) => {
        report.drained.push(signal, writes.isClosed, reads.isClosed, writes.stats().total, reads.stats().total);
        console.log(JSON.stringify(report));
      } });
      (async () => {
        await writes.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)');
        const track = (p) => p.then(() => report.completed++, (e) => { report.failed++; report.errors.push(String(e)); });
        for (let i = 0; i < 200; i++) track(writes.query('INSERT INTO t (v) VALUES (?)', [i]));
        for (let i = 0; i < 20; i++) track(writes.transaction(async (tx) => {
          await tx.query('INSERT INTO t (v) VALUES (?)', [-i]);
          await new Promise((r) => setTimeout(r, 5));
          await tx.query('INSERT INTO t (v) VALUES (?)', [-1000 - i]);
        }));
        for (let i = 0; i < 100; i++) track(reads.query('SELECT count(*) AS n FROM t'));
        // A real signal, delivered while all of the above is queued or running.
        process.kill(process.pid, 'SIGTERM');
      })();
    `);
    const report = JSON.parse(result.stdout.trim().split('\n').pop() as string) as {
      completed: number;
      failed: number;
      errors: string[];
      drained: unknown[];
    };
    console.log(`[figure] SIGTERM: ${report.completed} of 320 calls completed, ${report.failed} failed, child exited in ${result.elapsedMs} ms`);
    expect(report.errors).toEqual([]);
    expect(report.completed).toBe(320);
    expect(report.drained).toEqual(['SIGTERM', true, true, 0, 0]);
    // The signal's default action ran once the pools were drained: the process ended by SIGTERM.
    expect(result.signal).toBe('SIGTERM');

    const check = createPool({ url: `file:${dbFile}`, env: {}, profile: 'test', logger: silentLogger });
    try {
      const rows = await check.query<{ n: number }>('SELECT count(*) AS n FROM t');
      expect(rows.rows[0].n).toBe(240);
    } finally {
      await check.close();
    }
  });

  it('drains a pool made with createPool() too, not only the named pools of getPool()', async () => {
    const result = await runChild(`
      const { createPool, installShutdownHooks } = require(${JSON.stringify(entry)});
      const pool = createPool({ url: 'file:' + ${JSON.stringify(join(dir, 'unnamed.db'))}, env: {}, profile: 'production', min: 2, max: 2 });
      installShutdownHooks({ timeoutMs: 5000, onDrained: () => console.log(JSON.stringify({ closed: pool.isClosed, open: pool.stats().total })) });
      // What keeps a service alive (its HTTP server): an embedded pool holds no socket, and nothing
      // else would keep this process running until the signal arrives.
      setInterval(() => undefined, 1000);
      pool.warmup().then(() => process.kill(process.pid, 'SIGTERM'));
    `);
    expect(JSON.parse(result.stdout.trim())).toEqual({ closed: true, open: 0 });
    expect(result.signal).toBe('SIGTERM');
  });

  it('lets the application handle the signal itself after the drain, when it has its own handler', async () => {
    const result = await runChild(`
      const { getPool, installShutdownHooks } = require(${JSON.stringify(entry)});
      const pool = getPool('own-handler', { url: 'file:' + ${JSON.stringify(join(dir, 'own.db'))}, env: {}, profile: 'production' });
      installShutdownHooks({ timeoutMs: 5000 });
      process.on('SIGTERM', () => setTimeout(() => { console.log('app handler, pool closed: ' + pool.isClosed); process.exit(3); }, 100));
      setInterval(() => undefined, 1000); // the service's server, as above
      pool.query('SELECT 1').then(() => process.kill(process.pid, 'SIGTERM'));
    `);
    expect(result.stdout).toContain('app handler, pool closed: true');
    expect(result.code).toBe(3);
  });

  it('can be removed again: the signal then reaches the default action and nothing stays listening', async () => {
    const result = await runChild(`
      const { getPool, installShutdownHooks } = require(${JSON.stringify(entry)});
      const before = process.listenerCount('SIGTERM');
      const remove = installShutdownHooks();
      const during = process.listenerCount('SIGTERM');
      remove();
      console.log(JSON.stringify({ before, during, after: process.listenerCount('SIGTERM'), afterInt: process.listenerCount('SIGINT') }));
      const pool = getPool('removed', { url: 'file:' + ${JSON.stringify(join(dir, 'removed.db'))}, env: {}, profile: 'production', min: 1 });
      pool.warmup().then(() => { process.kill(process.pid, 'SIGTERM'); setTimeout(() => console.log('still alive'), 2000); });
    `);
    expect(JSON.parse(result.stdout.split('\n')[0])).toEqual({ before: 0, during: 1, after: 0, afterInt: 0 });
    expect(result.stdout).not.toContain('still alive');
    expect(result.signal).toBe('SIGTERM');
  });
});
