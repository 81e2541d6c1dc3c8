/**
 * The built package carries type declarations a TypeScript user compiles against: a consumer
 * project that imports 'lifeguard' (resolved through package.json "exports" → "types") typechecks,
 * and a wrong call is reported. Runs against dist/, which `npm test` builds first (pretest).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-types-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules/lifeguard'), 'dir');
  symlinkSync(join(root, 'node_modules/@types'), join(dir, 'node_modules/@types'), 'dir');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', noEmit: true, skipLibCheck: true, types: ['node'] } }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function typecheck(source: string): { status: number | null; output: string } {
  writeFileSync(join(dir, 'consumer.ts'), source);
  const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('type declarations', () => {
  it('let a TypeScript consumer use the public API with its types', () => {
    const result = typecheck(`
      import { createPool, resolveConfig, ConfigError, PoolTimeoutError, type PoolOptions, type ResolvedConfig, type QueryResult } from 'lifeguard';
      const options: PoolOptions = { url: 'file:app.db', max: 4, acquireTimeoutMs: 500 };
      const config: ResolvedConfig = resolveConfig(options);
      const max: number = config.max;
      const pool = createPool(options);
      async function run(): Promise<number> {
        const result: QueryResult<{ id: number }> = await pool.query<{ id: number }>('SELECT 1 AS id');
        await pool.transaction(async (tx) => tx.query('SELECT 1'));
        try { await pool.acquire({ timeoutMs: 10 }); } catch (err) { if (err instanceof PoolTimeoutError) return err.waitedMs; if (err instanceof ConfigError) return 0; }
        await pool.close({ timeoutMs: 100 });
        return result.rows[0].id + max;
      }
      void run;
    `);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('report a wrong option type to the consumer', () => {
    const result = typecheck(`
      import { createPool } from 'lifeguard';
      createPool({ max: 'many', acquireTimeoutMs: true });
    `);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/consumer\.ts.*error TS2322/);
  });
});
