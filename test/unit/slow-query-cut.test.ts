import { closeFakePools, fakePool } from '../helpers/pools';

afterEach(closeFakePools);

describe("slowQuery's 200-character cut", () => {
  it('never splits a surrogate pair', async () => {
    const { pool } = fakePool({ max: 1, slowQueryMs: 1 }, (db) => (db.queryDelayMs = 5));
    const seen: string[] = [];
    pool.on('slowQuery', (e) => seen.push(e.sql));
    await pool.query(`${'a'.repeat(199)}😀 and more`);
    const sql = seen[0];
    const last = sql.charCodeAt(sql.length - 2);
    expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
    expect(sql.endsWith('…')).toBe(true);
    expect(() => encodeURIComponent(sql)).not.toThrow();
  });
});
