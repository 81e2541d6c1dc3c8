/**
 * The soak (harness/soak.ts) on an embedded libsql file: there is no server to kill backends on,
 * so every 100 ms the killer closes the libsql client under each of this pool's open connections
 * (reported by observeConnections), in use or idle, as a crashed handle would be.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, LibsqlError, type Client } from '@libsql/client';
import type { EmbeddedLibsqlConnection } from '../../adapters/libsql-connection';
import { closeFaultPools, faultPool } from './harness/fault-pools';
import { printFigures, runSoak, SOAK_TEST_TIMEOUT_MS } from './harness/soak';

describe('soak on an embedded libsql file', () => {
  it('keeps every invariant while 50 callers work and every connection is closed under it every 100 ms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lg-soak-'));
    const file = join(dir, 'soak.db');
    const table = 'ledger';
    const admin: Client = createClient({ url: `file:${file}` });
    await admin.execute(`CREATE TABLE ${table} (id varchar(64) PRIMARY KEY, amount int NOT NULL)`);
    const pool = faultPool(`file:${file}`, { max: 4, maxWaiting: 40, acquireTimeoutMs: 3000, slowQueryMs: 50 });
    const open = new Set<EmbeddedLibsqlConnection>();
    pool.observeConnections({
      opened: (conn) => void open.add(conn.raw as EmbeddedLibsqlConnection),
      closed: (conn) => void open.delete(conn.raw as EmbeddedLibsqlConnection),
    });
    try {
      const result = await runSoak({
        label: 'libsql file',
        pool,
        table,
        param: () => '?',
        kill: async () => {
          let killed = 0;
          for (const conn of open) {
            if (!conn.db.open) continue;
            conn.db.close();
            killed++;
          }
          return killed;
        },
        // The pool's handles on the file it has not closed (closing one is what ends its session).
        sessions: async () => open.size,
        ledgerRows: async () => (await admin.execute(`SELECT id, amount FROM ${table}`)).rows as unknown as { id: string; amount: number }[],
        isDatabaseError: (err) => err instanceof LibsqlError && typeof err.code === 'string',
      });
      printFigures('libsql file', result);
      expect(result.violations).toEqual([]);
      expect(result.figures.kills).toBeGreaterThan(10);
      expect(result.figures.committed).toBeGreaterThan(0);
    } finally {
      await closeFaultPools();
      admin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, SOAK_TEST_TIMEOUT_MS);
});
