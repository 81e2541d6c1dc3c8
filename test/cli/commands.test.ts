/**
 * The `lifeguard` command run as a process against embedded libsql files: help, exit codes,
 * config with sources and masked secrets, check, size and bench.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recommendPoolSize } from '../../src';
import { configurationReference } from '../../src/config/reference';
import { parseJson, runCli, startCli } from './run-cli';

let dir: string;
let fileUrl: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-cli-'));
  fileUrl = `file:${join(dir, 'cli.db')}`;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lifeguard help and usage errors', () => {
  it('lists every command and the exit codes, and exits 0', () => {
    const run = runCli(['--help']);
    expect(run.status).toBe(0);
    for (const command of ['config', 'check', 'size', 'bench', 'serve']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toContain('2  usage: bad flags');
  });

  it('prints the package version with --version', () => {
    const run = runCli(['--version']);
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe((require('../../package.json') as { version: string }).version);
  });

  it.each(['config', 'check', 'size', 'bench'])('has --help for %s, with --json for its data', (command) => {
    const run = runCli([command, '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Usage: lifeguard ${command}`);
    expect(run.stdout).toContain('--json');
  });

  it('exits 2 on an unknown command or a bad flag value, saying what was wrong', () => {
    const unknown = runCli(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const bad = runCli(['bench', '--concurrency', 'many', '--url', fileUrl]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('expected a whole number ≥ 1, got "many"');
  });
});

describe('lifeguard config', () => {
  it('shows each value with its source: flags over environment over profile over defaults', () => {
    const run = runCli(['config', '--json', '--min', '3'], { DATABASE_URL: fileUrl, DB_POOL_MAX: '7', NODE_ENV: 'production' });
    expect(run.status).toBe(0);
    const out = parseJson<{ settings: Record<string, { value: unknown; origin: string }> }>(run);
    expect(out.settings.url).toEqual({ value: fileUrl, source: 'env', origin: 'env DATABASE_URL' });
    expect(out.settings.min).toMatchObject({ value: 3, origin: 'flag --min' });
    expect(out.settings.max).toMatchObject({ value: 7, origin: 'env DB_POOL_MAX' });
    expect(out.settings.profile).toMatchObject({ value: 'production', origin: 'env NODE_ENV' });
    expect(out.settings.acquireTimeoutMs).toMatchObject({ value: 5000, origin: 'profile production' });
    expect(out.settings.maxUses).toMatchObject({ value: 0, origin: 'built-in default' });
  });

  it('never prints a password or an auth token, in text or JSON', () => {
    const env = { DATABASE_URL: 'postgres://app:hunter2-secret@db.internal:5432/app', DB_AUTH_TOKEN: 'tok-abcdef123' };
    for (const args of [['config'], ['config', '--json']]) {
      const run = runCli(args, env);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('postgres://app:[redacted]@db.internal:5432/app');
      expect(run.stdout).not.toContain('hunter2');
      expect(run.stdout).not.toContain('tok-abcdef123');
      expect(run.stdout).toMatch(/authToken[\s\S]{0,40}\[redacted\]/);
    }
  });

  it('prints the configuration reference generated from the settings table, the same text as docs/configuration.md', () => {
    const run = runCli(['config', '--reference']);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(configurationReference());
    expect(run.stdout).toContain('### `max`');
  });

  it('names the canonical variable of each setting, with the pool prefix', () => {
    const run = runCli(['config', '--json', '--prefix', 'ORDERS_'], { ORDERS_URL: fileUrl, ORDERS_POOL_MAX: '4' });
    expect(run.status).toBe(0);
    const out = parseJson<{ settings: Record<string, { value: unknown; origin: string; variable: string }> }>(run);
    expect(out.settings.max).toMatchObject({ value: 4, origin: 'env ORDERS_POOL_MAX', variable: 'ORDERS_POOL_MAX' });
    expect(out.settings.url).toMatchObject({ origin: 'env ORDERS_URL' });
  });

  it('exits 2 naming the variable when the environment is wrong, or when no URL is set', () => {
    const bad = runCli(['config'], { DATABASE_URL: fileUrl, DB_POOL_MAX: 'lots' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('DB_POOL_MAX="lots" is not valid');
    const none = runCli(['config']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('No database URL: set DATABASE_URL or DB_URL');
  });
});

describe('lifeguard check on an embedded file', () => {
  it('reports healthy with the SQLite version and exits 0', () => {
    const run = runCli(['check', '--url', fileUrl]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/health\s+healthy \(/);
    expect(run.stdout).toMatch(/server\s+libsql 3\.\d+\.\d+/);
  });

  it('works the same on a better-sqlite3 file (sqlite: URL)', () => {
    const run = runCli(['check', '--url', `sqlite:${join(dir, 'better.db')}`]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/health\s+healthy/);
    expect(run.stdout).toMatch(/server\s+sqlite 3\.\d+/);
  });

  it('reports unhealthy with the reason and exits 1 when the database cannot be opened', () => {
    const run = runCli(['check', '--json', '--timeout', '1s', '--url', `file:${join(dir, 'missing-dir', 'x.db')}`]);
    expect(run.status).toBe(1);
    const out = parseJson<{ health: { status: string; error: string }; exitCode: number }>(run);
    expect(out.health.status).toBe('unhealthy');
    expect(out.health.error).toContain('Unable to open connection to local database');
    expect(out.exitCode).toBe(1);
  });
});

describe('lifeguard size', () => {
  it("prints recommendPoolSize's advice from flags, with the reasons and the variables to set", () => {
    const run = runCli(['size', '--qps', '400', '--query-ms', '20', '--max-connections', '100', '--instances', '8']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Recommended per instance: max 12, min 3');
    expect(run.stdout).toContain("Little's law: 400 queries/s × 20 ms = 8 connections busy at peak");
    expect(run.stdout).toContain('Set: DB_POOL_MAX=12 DB_POOL_MIN=3');
  });

  it('gives the same figures as the library in JSON, reading the database kind from the URL', () => {
    const run = runCli(['size', '--json', '--qps', '2000', '--query-ms', '10', '--cores', '4', '--max-connections', '100'], {
      DATABASE_URL: 'postgres://app@db.internal/app',
      DB_INSTANCES: '2',
    });
    expect(run.status).toBe(0);
    const out = parseJson<{ max: number; min: number; reasons: string[]; input: object }>(run);
    const expected = recommendPoolSize({ peakQueriesPerSecond: 2000, avgQueryMs: 10, dbCores: 4, serverMaxConnections: 100, instances: 2, database: 'postgres' });
    expect(out.input).toMatchObject({ instances: 2, database: 'postgres' });
    expect({ max: out.max, min: out.min, reasons: out.reasons }).toEqual({ max: expected.max, min: expected.min, reasons: expected.reasons });
    expect(out.max).toBe(4); // 4 cores × 2 + 1 = 9 for the server, 4 per instance
  });

  it('exits 1 with the reason when --from-server meets a database with no connection limit', () => {
    const run = runCli(['size', '--from-server', '--url', fileUrl]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--from-server: could not read max_connections from');
    expect(run.stderr).toContain('the libsql adapter reports no connection limit');
  });

  it('exits 2 when the fleet cannot get one connection per instance', () => {
    const run = runCli(['size', '--max-connections', '10', '--reserved', '2', '--instances', '9']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('9 instances cannot each have one connection within 8 usable connections');
  });
});

describe('lifeguard bench on an embedded file', () => {
  it('runs the load and reports throughput, latency percentiles, acquire waits and errors', () => {
    const run = runCli(['bench', '--json', '--url', fileUrl, '-c', '4', '-d', '600ms', '--max', '2', '--sql', 'SELECT ? AS n', '--params', '[7]']);
    expect(run.status).toBe(0);
    const out = parseJson<{ load: { operations: number; errors: number; perSecond: number; latencyMs: { p50: number; p99: number } }; acquire: { acquires: number; waited: number }; poolMax: number }>(run);
    expect(out.load.errors).toBe(0);
    expect(out.load.operations).toBeGreaterThan(10);
    expect(out.load.perSecond).toBeGreaterThan(0);
    expect(out.load.latencyMs.p99).toBeGreaterThanOrEqual(out.load.latencyMs.p50);
    expect(out.acquire.acquires).toBe(out.load.operations);
    expect(out.poolMax).toBe(2);
  });

  it('prints a table and plain progress lines when stderr is not a terminal', () => {
    const run = runCli(['bench', '--url', fileUrl, '-c', '2', '-d', '300ms']);
    expect(run.status).toBe(0);
    expect(run.stderr.match(/^bench: 0\.3\/0\.3 s, \d+ operations, 0 errors$/gm)).toHaveLength(1);
    for (const row of ['throughput', 'latency', 'acquire waits', 'timeouts', 'errors']) expect(run.stdout).toMatch(new RegExp(`^  ${row} `, 'm'));
  });

  it('reports progress during the run, even though embedded queries never leave the event loop', () => {
    const run = runCli(['bench', '--url', fileUrl, '-c', '8', '-d', '2500ms']);
    expect(run.status).toBe(0);
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('bench: '));
    // One line at about 2 s, while the load still runs, then the final one.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^bench: 2\.\d\/2\.5 s, [1-9]\d* operations, 0 errors$/);
  });

  it('stops early on Ctrl-C (SIGINT) and still prints the report of the time it ran', async () => {
    const child = startCli(['bench', '--url', fileUrl, '-c', '2', '-d', '60s']);
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    // The first progress line (after 2 s) says the load is running and Ctrl-C is handled.
    await new Promise<void>((resolve) => child.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('bench: ') && resolve()));
    child.kill('SIGINT');
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(0);
    expect(stdout).toContain('(interrupted)');
    expect(stdout).toMatch(/throughput\s+\d+ queries\/s \(\d+ in \d+\.\d s\)/);
  });

  it('exits 1 at once, with the database error, when the SQL is wrong', () => {
    const run = runCli(['bench', '--url', fileUrl, '-d', '10s', '--sql', 'SELEC 1']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('syntax error');
    expect(run.stdout).toBe('');
  });
});
