import { describePgCluster, PgCluster } from '../helpers/pg-cluster';

describePgCluster('private PostgreSQL clusters (test helper)', () => {
  jest.setTimeout(90_000);
  let primary: PgCluster | undefined;
  let replica: PgCluster | undefined;

  afterAll(async () => {
    await replica?.destroy();
    await primary?.destroy();
  });

  it('starts a cluster on its own port and a streaming replica of it that is in recovery', async () => {
    primary = await PgCluster.start({ label: 'helper-primary' });
    replica = await PgCluster.startReplicaOf(primary, { label: 'helper-replica' });
    expect(primary.port).not.toBe(5432);
    expect(await primary.psql('SELECT pg_is_in_recovery()')).toBe('f');
    expect(await replica.psql('SELECT pg_is_in_recovery()')).toBe('t');
  });

  it('stops and restarts a server on the same port', async () => {
    await replica!.stopServer();
    await expect(replica!.psql('SELECT 1')).rejects.toThrow(/psql failed/);
    await replica!.startServer();
    expect(await replica!.psql('SELECT 1')).toBe('1');
  });
});
