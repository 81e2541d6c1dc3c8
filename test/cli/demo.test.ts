/**
 * The demo behind `npm start`, run as a process: embedded by default, and against the servers
 * when DATABASE_URL points at them, each time with the money-conserving invariant checked.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { POSTGRES_URL, describePostgres } from '../helpers/databases';
import { ROOT, cliEnv } from './run-cli';

const DEMO = join(ROOT, 'dist/examples/demo.js');

function runDemo(env: Record<string, string> = {}) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [DEMO], { cwd: ROOT, env: cliEnv({ DEMO_DURATION_MS: '800', DEMO_CALLERS: '12', ...env }), encoding: 'utf8', timeout: 20_000 });
  return { pid: result.pid, status: result.status, stdout: result.stdout, stderr: result.stderr, elapsedMs: Date.now() - started };
}

function expectReport(stdout: string): void {
  for (const row of ['throughput', 'mix', 'latency', 'acquire wait', 'pool', 'health', 'invariant']) {
    expect(stdout).toMatch(new RegExp(`^  ${row} `, 'm'));
  }
  expect(stdout).toMatch(/throughput\s+[1-9]\d* operations\/s/);
  expect(stdout).toMatch(/mix\s+[1-9]\d* reads, [1-9]\d* writes, [1-9]\d* transfers \(transactions\), 0 errors/);
  expect(stdout).toMatch(/health\s+healthy/);
  expect(stdout).toContain('sum of balances 100000 (expected 100000): ok');
}

describe('the demo', () => {
  it('runs on an embedded libsql file with no server, prints the report and exits 0 by itself', () => {
    const run = runDemo();
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('lifeguard demo — embedded libsql file (no server); 12 concurrent callers');
    expectReport(run.stdout);
    expect(run.stderr).toMatch(/^demo: 0\.8\/0\.8 s, \d+ operations, 0 errors$/m);
    expect(run.elapsedMs).toBeLessThan(15_000);
  });
});

describePostgres('the demo against PostgreSQL', () => {
  it('runs the same workload with $1 placeholders through DATABASE_URL, and drops its tables', async () => {
    const run = runDemo({ DATABASE_URL: POSTGRES_URL });
    expect(run.stderr).not.toContain('demo failed');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('postgres at postgres://');
    expectReport(run.stdout);
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      // The demo names its tables after its own process id (spawnSync's child): none may be left.
      const left = await client.query('SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE $1 OR tablename LIKE $2', [
        `demo_accounts_${run.pid}_%`,
        `demo_transfers_${run.pid}_%`,
      ]);
      expect(left.rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
