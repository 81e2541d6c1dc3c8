/** What `lifeguard check` concludes from a server, on the fake adapter: each branch of the probe. */
import type { Adapter } from '../../adapters/contract';
import { registerAdapter } from '../../adapters/scheme-registry';
import { probeDatabase } from '../../src/cli/probe';
import { silentLogger } from '../../src';
import { fakeDatabase } from '../helpers/fake-adapter';

const base = { env: {}, logger: silentLogger, profile: 'production' as const };

describe('the check probe', () => {
  it('reports the fleet budget and a warning when max × instances exceeds it', async () => {
    const { db, url } = fakeDatabase();
    db.serverMaxConnections = 50;
    const probe = await probeDatabase({ ...base, url, max: 10, instances: 6 }, { timeoutMs: 1000, reservedConnections: 5 });
    expect(probe.health.status).toBe('healthy');
    expect(probe.fleet).toMatchObject({ max: 10, instances: 6, fleetMax: 60, budget: { usable: 45, perInstance: 7 } });
    expect(probe.warnings).toEqual([expect.stringContaining('max 10 × 6 instances = 60 connections')]);
    // The probe itself opens one connection, whatever max says, and closes it.
    expect(db.maxOpenSeen).toBe(1);
    expect(db.open.size).toBe(0);
  });

  it('warns when the server already has 80 % of its connections open', async () => {
    const { db, url } = fakeDatabase();
    db.serverMaxConnections = 1;
    const probe = await probeDatabase({ ...base, url, min: 1, max: 1 }, { timeoutMs: 1000 });
    expect(probe.warnings).toEqual([expect.stringContaining('The server has 1 of its 1 connections open (100 %)')]);
  });

  it('treats a failing serverInfo as a failed check, with the reason', async () => {
    const { db, url } = fakeDatabase();
    db.serverInfoError = new Error('permission denied for pg_stat_activity');
    const probe = await probeDatabase({ ...base, url }, { timeoutMs: 1000 });
    expect(probe.health.status).toBe('healthy');
    expect(probe.serverError).toBe('permission denied for pg_stat_activity');
  });

  it('only notes an adapter without serverInfo, and checks no fleet limit', async () => {
    const { db } = fakeDatabase();
    const plain = db.adapter() as Adapter<unknown>;
    delete (plain as { serverInfo?: unknown }).serverInfo;
    registerAdapter('fakeplain', () => plain);
    const probe = await probeDatabase({ ...base, url: 'fakeplain://x' }, { timeoutMs: 1000 });
    expect(probe.health.status).toBe('healthy');
    expect(probe.serverError).toBeUndefined();
    expect(probe.serverNote).toBe('the fake adapter does not report server information; fleet limits not checked');
    expect(probe.fleet.budget).toBeUndefined();
  });

  it('reports an unreachable database as unhealthy without throwing, within its timeout', async () => {
    const { db, url } = fakeDatabase();
    db.connectError = new Error('connect ECONNREFUSED');
    const started = Date.now();
    const probe = await probeDatabase({ ...base, url }, { timeoutMs: 300 });
    expect(probe.health.status).toBe('unhealthy');
    expect(probe.health.error).toContain('ECONNREFUSED');
    expect(probe.server).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
