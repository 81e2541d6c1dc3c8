/**
 * A connect deadline on a `Client` whose connect() opens its socket late (a subclass doing async
 * work first: fetching a secret, a cloud connector) used to crash the process: the adapter
 * destroyed the socket with the deadline's error before pg had attached its own 'error' listener,
 * so the socket's 'error' was an uncaught exception. The caller must get the timeout, and the
 * process must live on. Run in a child process on the built package, so an uncaught exception
 * is what it would be in a service: the end of the process.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { POSTGRES_URL, describePostgres } from '../../helpers/databases';

const pgEntry = resolve(__dirname, '../../../dist/src/integrations/pg/index.js');

const script = `
const pg = require('pg');
const { PgPool } = require(${JSON.stringify(pgEntry)});
class SlowStartClient extends pg.Client {
  connect(cb) {
    const started = new Promise((r) => setTimeout(r, 300)).then(() => super.connect());
    if (cb) { started.then(() => cb(), cb); return undefined; }
    return started;
  }
}
process.on('uncaughtException', (err) => { console.log('UNCAUGHT ' + err.message); process.exit(3); });
(async () => {
  const pool = new PgPool({ connectionString: ${JSON.stringify(POSTGRES_URL)}, ssl: false, max: 1, connectionTimeoutMillis: 100, Client: SlowStartClient });
  const outcome = await pool.connect().then((c) => { c.release(); return 'connected'; }, (err) => 'rejected: ' + err.message);
  console.log(outcome);
  // Long enough for the late socket to open and be dropped.
  await new Promise((r) => setTimeout(r, 800));
  await pool.end();
  console.log('alive');
})();
`;

describePostgres('a Client that opens its socket after the connect deadline', () => {
  it('gives the caller the timeout and does not crash the process', () => {
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    const out = `${run.stdout}${run.stderr}`;
    expect(out).not.toContain('UNCAUGHT');
    expect(out).toMatch(/rejected: .*timed out after 100 ms/);
    expect(out).toContain('alive');
    expect(run.status).toBe(0);
  });
});
