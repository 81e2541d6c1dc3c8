import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, createPool } from '../../src';
import { silentLogger } from '../../src/shared/logger';

const dir = mkdtempSync(join(tmpdir(), 'lifeguard-int-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BIG = '9007199254740993';

async function readBig(adapterOptions: Record<string, unknown>, file: string): Promise<unknown> {
  const pool = createPool({ url: `file:${join(dir, file)}`, env: {}, logger: silentLogger, adapterOptions, name: `int-${file}` });
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS big (v INTEGER)');
    await pool.query(`INSERT INTO big VALUES (${BIG})`);
    const result = await pool.query<{ v: unknown }>('SELECT v FROM big');
    return result.rows[0].v;
  } finally {
    await pool.close();
  }
}

describe('libsql integers beyond 2^53', () => {
  it("come back as bigint with adapterOptions.intMode 'bigint' or safeIntegers: true, and as a string with 'string'", async () => {
    await expect(readBig({ intMode: 'bigint' }, 'a.db')).resolves.toBe(BigInt(BIG));
    await expect(readBig({ safeIntegers: true }, 'b.db')).resolves.toBe(BigInt(BIG));
    await expect(readBig({ intMode: 'string' }, 'c.db')).resolves.toBe(BIG);
  });

  it('an unknown intMode is a ConfigError at createPool', () => {
    expect(() => createPool({ url: `file:${join(dir, 'd.db')}`, env: {}, adapterOptions: { intMode: 'float' } })).toThrow(ConfigError);
  });
});
