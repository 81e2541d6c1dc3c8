/**
 * lifeguard/pg as a user's project gets it: its own CommonJS, ESM and type entries, pg loaded from
 * the project (so PrismaPg takes a PgPool as the pool it is), pg never loaded by the main entry,
 * and a missing pg reported by name. Runs against dist/, which `npm test` builds first (pretest).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
let project: string;

/** A user's project: lifeguard, pg and PrismaPg installed side by side in its node_modules. */
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'lifeguard-pg-entry-'));
  mkdirSync(join(project, 'node_modules/@prisma'), { recursive: true });
  symlinkSync(root, join(project, 'node_modules/lifeguard'), 'dir');
  for (const name of ['pg', '@prisma/adapter-pg', '@prisma/driver-adapter-utils', '@prisma/debug', '@types']) {
    symlinkSync(join(root, 'node_modules', name), join(project, 'node_modules', name), 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function run(file: string, source: string, args: string[] = []) {
  writeFileSync(join(project, file), source);
  return spawnSync(process.execPath, [...args, join(project, file)], { cwd: project, encoding: 'utf8', timeout: 30_000 });
}

describe('the lifeguard/pg entry', () => {
  it('exports the same PgPool through require and import, a pg.Pool of the project’s pg that PrismaPg takes as its pool', () => {
    const result = run(
      'names.mjs',
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const cjs = require('lifeguard/pg');
       const esm = await import('lifeguard/pg');
       const pg = require('pg');
       const { PrismaPg } = require('@prisma/adapter-pg');
       const pool = new esm.PgPool({ connectionString: 'postgres://user@127.0.0.1:1/db', env: {}, name: 'entry-test' });
       const adapter = new PrismaPg(pool);
       console.log(JSON.stringify({
         names: Object.keys(esm).sort(),
         same: esm.PgPool === cjs.PgPool && esm.pgPool === cjs.pgPool,
         isPgPool: pool instanceof pg.Pool,
         prismaTakesIt: adapter.externalPool === pool,
       }));
       await pool.end();`,
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ names: ['LifeguardPgClient', 'PgPool', 'pgPool'], same: true, isPgPool: true, prismaTakesIt: true });
  });

  it('is the only entry that loads pg: require("lifeguard") does not', () => {
    const result = run('main-only.js', `require('lifeguard'); console.log(Object.keys(require.cache).some((p) => /node_modules[\\\\/]pg[\\\\/]/.test(p)));`);
    expect(result.stdout.trim()).toBe('false');
  });

  it('names the package to install when pg is missing', () => {
    // Stands in for a project without pg: every lookup of 'pg' fails as it would then.
    writeFileSync(
      join(project, 'no-pg.js'),
      `const Module = require('module');
       const resolve = Module._resolveFilename;
       Module._resolveFilename = function (request, ...rest) {
         if (request === 'pg') throw Object.assign(new Error("Cannot find module 'pg'"), { code: 'MODULE_NOT_FOUND' });
         return resolve.call(this, request, ...rest);
       };`,
    );
    const result = run('missing.js', `try { require('lifeguard/pg'); } catch (err) { console.log(JSON.stringify({ name: err.name, code: err.code, message: err.message })); }`, ['-r', join(project, 'no-pg.js')]);
    const err = JSON.parse(result.stdout) as { code: string; message: string };
    expect(err.code).toBe('DRIVER_MISSING');
    expect(err.message).toContain('npm install pg');
  });

  it('carries types: a PgPool is a pg.Pool to the compiler, and a wrong option is an error', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', noEmit: true, skipLibCheck: true, types: ['node'] } }),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const check = (source: string) => {
      writeFileSync(join(project, 'consumer.ts'), source);
      const result = spawnSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', timeout: 60_000 });
      return `${result.stdout}${result.stderr}`;
    };
    expect(
      check(`
        import type { Pool } from 'pg';
        import { PgPool, pgPool } from 'lifeguard/pg';
        import { getPool } from 'lifeguard';
        const pool: Pool = new PgPool({ connectionString: 'postgres://app@db/app', max: 4, idleTimeoutMillis: 1000, slowQueryMs: 200 });
        const shared: Pool = pgPool(getPool('main'));
        async function use(): Promise<number> {
          const client = await pool.connect();
          try {
            const { rows } = await client.query<{ n: number }>('SELECT $1::int AS n', [1]);
            return rows[0].n + (await shared.query('SELECT 1')).rowCount!;
          } finally {
            client.release();
          }
        }
        void use;
      `),
    ).toBe('');
    expect(check(`import { PgPool } from 'lifeguard/pg'; new PgPool({ max: 'many' });`)).toMatch(/consumer\.ts.*error TS2322/);
  });
});
