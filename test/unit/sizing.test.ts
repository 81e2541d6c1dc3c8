import { ConfigError, fleetBudget, fleetWarning, recommendPoolSize } from '../../src';

describe('recommendPoolSize', () => {
  it("sizes by Little's law with 50 % headroom: 400 queries/s × 20 ms = 8 busy, so max 12 and min 3", () => {
    const advice = recommendPoolSize({ peakQueriesPerSecond: 400, avgQueryMs: 20 });
    expect(advice.max).toBe(12);
    expect(advice.min).toBe(3);
    expect(advice.limits).toEqual({ busyAtPeak: 8, demand: 12 });
    expect(advice.reasons[0]).toBe("Little's law: 400 queries/s × 20 ms = 8 connections busy at peak; with 50 % headroom, 12.");
    expect(advice.warnings).toEqual([]);
  });

  it('uses the headroom it is given and rounds up to whole connections', () => {
    expect(recommendPoolSize({ peakQueriesPerSecond: 1000, avgQueryMs: 5, headroom: 0.2 }).max).toBe(6);
    expect(recommendPoolSize({ peakQueriesPerSecond: 333, avgQueryMs: 10, headroom: 0 }).max).toBe(4);
  });

  it('gives the result docs/sizing.md shows for its code example', () => {
    const advice = recommendPoolSize({
      peakQueriesPerSecond: 400, avgQueryMs: 20, peakConcurrency: 64,
      database: 'postgres', dbCores: 8, serverMaxConnections: 100, instances: 4,
    });
    expect(advice).toMatchObject({ max: 4, min: 1, limits: { demand: 12, coresCeiling: 4, fleetPerInstance: 24 } });
  });

  it('never advises fewer than one connection, however light the load', () => {
    const advice = recommendPoolSize({ peakQueriesPerSecond: 1, avgQueryMs: 2 });
    expect(advice.max).toBe(1);
    expect(advice.min).toBe(1);
  });

  it('never advises more connections than there are concurrent callers', () => {
    const advice = recommendPoolSize({ peakQueriesPerSecond: 2000, avgQueryMs: 50, peakConcurrency: 16 });
    expect(advice.limits.busyAtPeak).toBe(100);
    expect(advice.max).toBe(16);
    expect(advice.reasons.join('\n')).toContain('Capped at peak concurrency');
  });

  it('gives one connection per concurrent caller when only concurrency is known', () => {
    expect(recommendPoolSize({ peakConcurrency: 6 })).toMatchObject({ max: 6, min: 1 });
  });

  it('starts from 10 when no workload figures are given', () => {
    const advice = recommendPoolSize({});
    expect(advice).toMatchObject({ max: 10, min: 2 });
    expect(advice.reasons[0]).toContain('No workload figures given');
  });

  it("caps PostgreSQL at HikariCP's cores × 2 + spindles, shared by the instances", () => {
    // 4 cores × 2 + 1 spindle = 9 for the server; 3 instances get 3 each.
    const advice = recommendPoolSize({ peakQueriesPerSecond: 1000, avgQueryMs: 20, database: 'postgres', dbCores: 4, instances: 3 });
    expect(advice.limits.coresCeiling).toBe(3);
    expect(advice.max).toBe(3);
    expect(advice.reasons.join('\n')).toContain('4 cores × 2 + 1 spindle = 9 active connections for the server, 3 per instance across 3');
  });

  it('does not apply the cores ceiling to databases it was not measured for, and says so', () => {
    const advice = recommendPoolSize({ peakQueriesPerSecond: 1000, avgQueryMs: 20, database: 'mysql', dbCores: 2 });
    expect(advice.max).toBe(30);
    expect(advice.limits.coresCeiling).toBeUndefined();
    expect(advice.reasons.join('\n')).toContain('dbCores not applied');
  });

  it('keeps instances × max within (max_connections − reserved) and warns that callers will queue', () => {
    // PostgreSQL's 100 connections, 3 reserved by default: 97 / 8 instances = 12 each.
    const advice = recommendPoolSize({ peakQueriesPerSecond: 1000, avgQueryMs: 20, database: 'postgres', serverMaxConnections: 100, instances: 8 });
    expect(advice.limits.demand).toBe(30);
    expect(advice.limits.fleetPerInstance).toBe(12);
    expect(advice.max).toBe(12);
    expect(advice.max * 8).toBeLessThanOrEqual(97);
    expect(advice.warnings[0]).toContain('asks for 30 connections per instance but the server can give 12');
  });

  it('never exceeds the budget for any fleet size, and uses all of it when demand is higher', () => {
    for (let instances = 1; instances <= 120; instances++) {
      const advice = recommendPoolSize({ peakConcurrency: 500, serverMaxConnections: 151, reservedConnections: 10, instances });
      expect(advice.max * instances).toBeLessThanOrEqual(141);
      expect(advice.max).toBe(Math.min(500, Math.floor(141 / instances)));
      expect(advice.min).toBeGreaterThanOrEqual(1);
      expect(advice.min).toBeLessThanOrEqual(advice.max);
    }
  });

  it('refuses, naming the way out, when the fleet cannot get one connection per instance', () => {
    const attempt = () => recommendPoolSize({ serverMaxConnections: 20, reservedConnections: 5, instances: 16 });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/16 instances cannot each have one connection within 15 usable connections.*PgBouncer/);
  });

  it('rejects figures that are not numbers of the right kind, naming the field', () => {
    expect(() => recommendPoolSize({ peakQueriesPerSecond: -1, avgQueryMs: 5 })).toThrow(/peakQueriesPerSecond=-1/);
    expect(() => recommendPoolSize({ instances: 1.5, serverMaxConnections: 100 })).toThrow(/instances=1.5/);
    expect(() => recommendPoolSize({ peakQueriesPerSecond: 10 })).toThrow(/avgQueryMs is missing/);
    expect(() => recommendPoolSize({ avgQueryMs: Number.NaN, peakQueriesPerSecond: 1 })).toThrow(/avgQueryMs=NaN/);
  });
});

describe('fleetBudget and fleetWarning', () => {
  it('reserves PostgreSQL superuser connections by default and nothing for others', () => {
    expect(fleetBudget({ serverMaxConnections: 100, instances: 4, database: 'postgres' })).toEqual({
      serverMaxConnections: 100,
      reservedConnections: 3,
      instances: 4,
      usable: 97,
      perInstance: 24,
    });
    expect(fleetBudget({ serverMaxConnections: 151, instances: 4, database: 'mysql' }).perInstance).toBe(37);
  });

  it('warns only when max × instances exceeds the usable connections', () => {
    const budget = fleetBudget({ serverMaxConnections: 100, reservedConnections: 0, instances: 10 });
    expect(fleetWarning(10, budget)).toBeUndefined();
    expect(fleetWarning(11, budget)).toBe(
      'max 11 × 10 instances = 110 connections, more than the server allows (max_connections 100 − 0 reserved = 100): ' +
        'at peak some instances will fail to connect. Lower max to 10 or less, raise max_connections, or put a pooler such as PgBouncer in front.',
    );
  });
});
