/**
 * Runs the built `lifeguard` command as a user would (node bin/lifeguard.js, after `npm run build`),
 * with only the environment a test gives it, bounded in time.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'bin/lifeguard.js');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: the developer's own DATABASE_URL or DB_* must not leak into a test. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
}

export function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000): CliRun {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs it without blocking the test's event loop (for commands that serve while the test talks to them). */
export function startCli(args: readonly string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}

export function parseJson<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (err) {
    throw new Error(`not JSON (exit ${run.status}): ${run.stdout}\nstderr: ${run.stderr}`, { cause: err });
  }
}
