/** The `lifeguard` command and the demo as processes against the MariaDB server. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { MYSQL_URL, describeMysql, uniqueName } from '../helpers/databases';
import { ROOT, cliEnv, parseJson, runCli } from './run-cli';

describeMysql('lifeguard against MariaDB', () => {
  it('config resolves a MariaDB URL with its password masked and the mysql scheme', () => {
    const run = runCli(['config', '--json', '--url', 'mysql://app:pw-hidden@127.0.0.1:3306/test']);
    expect(run.status).toBe(0);
    expect(run.stdout).not.toContain('pw-hidden');
    expect(parseJson<{ scheme: string }>(run).scheme).toBe('mysql');
  });

  it('check reports healthy, the MariaDB version and its connection limit, with nothing reserved by default', () => {
    const run = runCli(['check', '--json', '--url', MYSQL_URL, '--name', uniqueName('cli_check')]);
    expect(run.status).toBe(0);
    const out = parseJson<{ health: { status: string }; server: { version: string; maxConnections: number; openConnections: number }; fleet: { budget: { usable: number } } }>(run);
    expect(out.health.status).toBe('healthy');
    expect(out.server.version).toMatch(/^\d+\.\d+/);
    expect(out.server.openConnections).toBeGreaterThanOrEqual(1);
    // MySQL keeps its extra SUPER connection on top of max_connections: the whole limit is usable.
    expect(out.fleet.budget.usable).toBe(out.server.maxConnections);
  });

  it('check --strict exits 3 when max × instances exceeds max_connections', () => {
    const run = runCli(['check', '--strict', '--url', MYSQL_URL, '--name', uniqueName('cli_fleet'), '--max', '20', '--instances', '10']);
    expect(run.status).toBe(3);
    expect(run.stdout).toMatch(/warning\s+max 20 × 10 instances = 200 connections, more than the server allows/);
  });

  it("size --from-server reads MariaDB's max_connections", () => {
    const run = runCli(['size', '--json', '--from-server', '--url', MYSQL_URL, '--name', uniqueName('cli_size'), '--concurrency', '500', '--instances', '4']);
    expect(run.status).toBe(0);
    const out = parseJson<{ input: { serverMaxConnections: number; database: string }; max: number }>(run);
    expect(out.input.database).toBe('mysql');
    expect(out.max).toBe(Math.floor(out.input.serverMaxConnections / 4));
  });

  it('bench runs ? placeholders with no errors', () => {
    const run = runCli(['bench', '--json', '--url', MYSQL_URL, '--name', uniqueName('cli_bench'), '-c', '4', '-d', '600ms', '--max', '2', '--sql', 'SELECT ? AS n', '--params', '[5]']);
    expect(run.status).toBe(0);
    const out = parseJson<{ load: { operations: number; errors: number }; connectionsCreated: number }>(run);
    expect(out.load.errors).toBe(0);
    expect(out.load.operations).toBeGreaterThan(20);
    expect(out.connectionsCreated).toBeLessThanOrEqual(2);
  });

  it('the demo runs its mixed workload through DATABASE_URL and keeps the invariant', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/examples/demo.js')], {
      cwd: ROOT,
      env: cliEnv({ DATABASE_URL: MYSQL_URL, DEMO_DURATION_MS: '800', DEMO_CALLERS: '12' }),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).not.toContain('demo failed');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('mysql at mysql://');
    expect(run.stdout).toMatch(/transfers \(transactions\), 0 errors/);
    expect(run.stdout).toContain('sum of balances 100000 (expected 100000): ok');
  });
});
