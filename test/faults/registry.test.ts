/**
 * getPool(name): one pool per name per process, whichever copy of lifeguard asks — the TypeScript
 * source, the built CommonJS package, its ESM entry, a module registry reset by jest, or a copy
 * reloaded from a cleared require cache (what a hot-reloading dev server does on every change).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { closeAllPools, createPool, getPool, registeredPools } from '../../src';
import { silentLogger } from '../../src/shared/logger';

const root = resolve(__dirname, '../..');
const cjsEntry = join(root, 'dist/src/index.js');
const esmEntry = join(root, 'esm/index.mjs');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeguard-registry-'));
});
afterEach(() => closeAllPools({ timeoutMs: 1000 }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options = () => ({ url: `file:${join(dir, 'registry.db')}`, env: {}, profile: 'test' as const, logger: silentLogger });

describe('getPool registry', () => {
  it('returns the same pool for a name, and a different one for another name', () => {
    const a = getPool('orders', options());
    expect(getPool('orders', options())).toBe(a);
    expect(getPool('orders')).toBe(a);
    expect(getPool('billing', options())).not.toBe(a);
    expect(registeredPools()).toHaveLength(2);
  });

  it('refuses to hand out a pool under a name already holding another database, without leaking the password', () => {
    const first = getPool('orders-db', options());
    expect(getPool('orders-db', { ...options(), url: `file:${join(dir, 'registry.db')}` })).toBe(first);
    const err = (() => {
      try {
        return getPool('orders-db', { ...options(), url: 'postgres://app:s3cret@db.internal:5432/other' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'CONFIG_INVALID', setting: 'url' });
    expect((err as Error).message).toContain('db.internal');
    expect((err as Error).message).not.toContain('s3cret');
    expect(registeredPools()).toEqual([first]);
  });

  it('survives module reloads: a fresh copy of the module returns the pool the first copy created', () => {
    const first = getPool('reloaded', options());
    let fromReload: unknown;
    jest.isolateModules(() => {
      const reloaded = require('../../src') as typeof import('../../src');
      fromReload = reloaded.getPool('reloaded', options());
      expect(reloaded.getPool).not.toBe(getPool); // really another copy of the module
    });
    expect(fromReload).toBe(first);
  });

  it('opens a new pool under a name whose pool was closed', async () => {
    const first = getPool('reopened', options());
    await first.close();
    const second = getPool('reopened', options());
    expect(second).not.toBe(first);
    await expect(second.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });

  it('closeAllPools() closes every pool and empties the registry', async () => {
    const pools = [getPool('a', options()), getPool('b', options()), getPool('c', options())];
    await Promise.all(pools.map((pool) => pool.query('SELECT 1')));
    await closeAllPools();
    expect(pools.map((pool) => pool.isClosed)).toEqual([true, true, true]);
    expect(pools.map((pool) => pool.stats().total)).toEqual([0, 0, 0]);
    expect(registeredPools()).toEqual([]);
  });

  it('closeAllPools() also closes pools made with createPool(), which have no name in the registry', async () => {
    const unnamed = createPool(options());
    const named = getPool('named', options());
    await Promise.all([unnamed.query('SELECT 1'), named.query('SELECT 1')]);
    await closeAllPools();
    expect([unnamed.isClosed, named.isClosed]).toEqual([true, true]);
    expect(registeredPools()).toEqual([]);
  });

  it('shares one pool between require, import and a cache-busted reload of the built package', () => {
    const script = join(dir, 'shared.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const opts = { url: 'file:' + ${JSON.stringify(join(dir, 'shared.db'))}, env: {}, profile: 'test' };
       const cjs = require(${JSON.stringify(cjsEntry)});
       const esm = await import(${JSON.stringify(esmEntry)});
       const fromRequire = cjs.getPool('shared', opts);
       const fromImport = esm.getPool('shared', opts);
       // What a hot-reloading dev server does: forget every lifeguard module and load them again.
       for (const key of Object.keys(require.cache)) if (key.startsWith(${JSON.stringify(join(root, 'dist'))})) delete require.cache[key];
       const reloaded = require(${JSON.stringify(cjsEntry)});
       const fromReload = reloaded.getPool('shared', opts);
       const result = {
         reallyReloaded: reloaded.getPool !== cjs.getPool,
         importIsRequire: fromImport === fromRequire,
         reloadIsRequire: fromReload === fromRequire,
         registered: reloaded.registeredPools().length,
       };
       await reloaded.closeAllPools();
       result.closed = fromRequire.isClosed;
       console.log(JSON.stringify(result));`,
    );
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 15_000 });
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ reallyReloaded: true, importIsRequire: true, reloadIsRequire: true, registered: 1, closed: true });
  });
});
