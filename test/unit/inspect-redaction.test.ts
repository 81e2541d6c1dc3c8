import { inspect } from 'node:util';
import { createPool, resolveConfig } from '../../src';
import { silentLogger } from '../../src/shared/logger';
import { maskUrl } from '../../src/shared/secret';
import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(closeFakePools);

describe('util.inspect(pool) never shows a password', () => {
  it.each([3, 5, 10, Infinity])('at depth %p, with connections open', async (depth) => {
    const { pool } = fakePool({ max: 2 });
    await pool.query('select');
    // The fake scheme's URL carries no password; what matters is what the object graph would print.
    const text = inspect(pool, { depth });
    expect(text).toMatch(/^Pool \{"name":/);
    expect(text).not.toMatch(/secrets|secretUrl/);
  });

  it("masks a password that starts with digits and holds an unencoded '#'", () => {
    const masked = maskUrl('postgres://postgres:123#abcSecret@127.0.0.1:5432/test');
    expect(masked).not.toContain('abcSecret');
    expect(masked).not.toContain('123#abc');
    const config = resolveConfig({ url: 'postgres://postgres:123#abcSecret@127.0.0.1:5432/test', env: {} });
    expect(config.url).not.toContain('abcSecret');
    expect(inspect(config, { depth: Infinity })).not.toContain('abcSecret');
  });

  it("util.inspect(pool, { depth: 3 }) of a pool on such a URL never shows the password (the issue's report)", async () => {
    // The URL parses with 'postgres' as the host: nothing is connected, only created and printed.
    const pool = createPool({ url: 'postgres://postgres:123#abcSecret@127.0.0.1:5432/test', env: {}, min: 0, logger: silentLogger });
    try {
      for (const depth of [3, Infinity]) expect(inspect(pool, { depth })).not.toContain('abcSecret');
    } finally {
      await pool.close({ timeoutMs: 100 });
    }
  });
});
