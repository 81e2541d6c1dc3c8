import type { Logger } from '../../src';
import { closeFakePools, fakePool } from '../helpers/pools';

function spyLogger(): Logger & { warnings: string[]; debugs: string[] } {
  const warnings: string[] = [];
  const debugs: string[] = [];
  return {
    warnings,
    debugs,
    debug: (_obj, msg) => debugs.push(msg ?? ''),
    info: () => undefined,
    warn: (_obj, msg) => warnings.push(msg ?? ''),
    error: () => undefined,
  };
}

afterEach(closeFakePools);

describe('fleet-aware sizing check at start', () => {
  it('warns once, after the first connection, when max × instances exceeds the server budget', async () => {
    const logger = spyLogger();
    const { pool, db } = fakePool({ logger, max: 4, instances: 30 });
    db.serverMaxConnections = 100;
    expect(logger.warnings).toEqual([]);
    await Promise.all(Array.from({ length: 8 }, () => pool.query('sleep 5')));
    await pool.query('SELECT');
    expect(db.connects).toBe(4);
    expect(db.serverInfoCalls).toBe(1);
    expect(logger.warnings.filter((w) => w.includes('max_connections'))).toEqual([
      'lifeguard: max 4 × 30 instances = 120 connections, more than the server allows (max_connections 100 − 0 reserved = 100): ' +
        'at peak some instances will fail to connect. Lower max to 3 or less, raise max_connections, or put a pooler such as PgBouncer in front.',
    ]);
  });

  it('says nothing when the fleet fits', async () => {
    const logger = spyLogger();
    const { pool, db } = fakePool({ logger, max: 4, instances: 25 });
    db.serverMaxConnections = 100;
    await pool.query('SELECT');
    expect(db.serverInfoCalls).toBe(1);
    expect(logger.warnings).toEqual([]);
  });

  it('keeps working, and notes it at debug level, when the server cannot say its max_connections', async () => {
    const logger = spyLogger();
    const { pool, db } = fakePool({ logger, instances: 1000 });
    db.serverInfoError = new Error('permission denied for pg_settings');
    await expect(pool.query('SELECT')).resolves.toMatchObject({ rowCount: 1 });
    expect(logger.warnings).toEqual([]);
    expect(logger.debugs).toContain('lifeguard: could not read max_connections; fleet sizing not checked');
  });
});
