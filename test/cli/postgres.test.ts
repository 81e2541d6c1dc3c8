/** The `lifeguard` command as a process against the PostgreSQL server. */
import { POSTGRES_URL, describePostgres, uniqueName } from '../helpers/databases';
import { parseJson, runCli } from './run-cli';

interface CheckJson {
  health: { status: string };
  server: { version: string; maxConnections: number; openConnections: number };
  fleet: { max: number; instances: number; fleetMax: number; budget: { usable: number; reservedConnections: number; perInstance: number } };
  warnings: string[];
}

describePostgres('lifeguard against PostgreSQL', () => {
  it('check reports healthy, the server version, its connection limit and open connections, and exits 0', () => {
    const run = runCli(['check', '--url', POSTGRES_URL, '--name', uniqueName('cli_check')]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/health\s+healthy/);
    expect(run.stdout).toMatch(/server\s+postgres \d+\.\d+/);
    const limits = /connections\s+(\d+) open of max_connections (\d+)/.exec(run.stdout);
    expect(limits).not.toBeNull();
    const [open, limit] = [Number(limits?.[1]), Number(limits?.[2])];
    expect(open).toBeGreaterThanOrEqual(1); // the check's own connection at least
    expect(run.stdout).toContain(`of ${limit - 3} usable (3 reserved)`);
  });

  it('check warns when max × instances exceeds the server budget, and exits 3 under --strict', () => {
    const args = ['check', '--json', '--url', POSTGRES_URL, '--name', uniqueName('cli_fleet'), '--max', '10', '--instances', '40'];
    const loose = runCli(args);
    expect(loose.status).toBe(0);
    const out = parseJson<CheckJson>(loose);
    expect(out.fleet.fleetMax).toBe(400);
    expect(out.fleet.budget.usable).toBe(out.server.maxConnections - 3);
    expect(out.warnings[0]).toContain(`max 10 × 40 instances = 400 connections, more than the server allows (max_connections ${out.server.maxConnections} − 3 reserved`);
    expect(runCli([...args, '--strict']).status).toBe(3);
  });

  it('check counts --reserved into the budget and stays quiet when the fleet fits', () => {
    const run = runCli(['check', '--json', '--url', POSTGRES_URL, '--name', uniqueName('cli_fit'), '--max', '2', '--instances', '3', '--reserved', '10']);
    expect(run.status).toBe(0);
    const out = parseJson<CheckJson>(run);
    expect(out.fleet.budget.reservedConnections).toBe(10);
    expect(out.warnings.filter((w) => w.includes('more than the server allows'))).toEqual([]);
  });

  it('check exits 1 with the connection failure when nothing listens at the address', () => {
    const run = runCli(['check', '--url', 'postgres://app:pw-not-shown@127.0.0.1:1/none', '--timeout', '1s']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/health\s+unhealthy/);
    expect(run.stdout).toContain('ECONNREFUSED');
    expect(run.stdout + run.stderr).not.toContain('pw-not-shown');
  });

  it("size --from-server sizes against the server's own max_connections", () => {
    const run = runCli(['size', '--json', '--from-server', '--url', POSTGRES_URL, '--name', uniqueName('cli_size'), '--qps', '5000', '--query-ms', '10', '--instances', '10']);
    expect(run.status).toBe(0);
    const out = parseJson<{ input: { serverMaxConnections: number; database: string }; max: number; limits: { fleetPerInstance: number } }>(run);
    expect(out.input.database).toBe('postgres');
    expect(out.input.serverMaxConnections).toBeGreaterThan(3);
    expect(out.limits.fleetPerInstance).toBe(Math.floor((out.input.serverMaxConnections - 3) / 10));
    expect(out.max * 10).toBeLessThanOrEqual(out.input.serverMaxConnections - 3);
  });

  it('bench runs $1 placeholders through a pool of 2 and reports no errors', () => {
    const run = runCli(['bench', '--json', '--url', POSTGRES_URL, '--name', uniqueName('cli_bench'), '-c', '6', '-d', '700ms', '--max', '2', '--sql', 'SELECT $1::int AS n', '--params', '[42]']);
    expect(run.status).toBe(0);
    const out = parseJson<{ load: { operations: number; errors: number }; acquire: { acquires: number }; connectionsCreated: number; pipelined: number }>(run);
    expect(out.load.errors).toBe(0);
    expect(out.load.operations).toBeGreaterThan(50);
    expect(out.connectionsCreated).toBeLessThanOrEqual(2);
    // Each operation either took a connection of its own (an acquire) or rode a shared one (pipelined).
    expect(out.pipelined).toBeGreaterThan(0);
    expect(out.acquire.acquires + out.pipelined).toBeGreaterThanOrEqual(out.load.operations);
  });
});
