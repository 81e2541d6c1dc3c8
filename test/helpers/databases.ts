/**
 * Where the database suites find their servers, and what they do when one is not there.
 *
 * URLs come from the environment (TEST_POSTGRES_URL, TEST_MYSQL_URL, TEST_LIBSQL_URL) so the same
 * suites run against the local services, docker/docker-compose.yml, or anything else. A server that
 * cannot be reached skips its suite with a printed line, unless REQUIRE_DATABASES=1 (CI): then the
 * suite fails, so a database that silently went away can never turn CI green.
 */
import { spawnSync } from 'node:child_process';

export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const LIBSQL_URL = process.env.TEST_LIBSQL_URL;
export const REQUIRE_DATABASES = process.env.REQUIRE_DATABASES === '1';

const reachableCache = new Map<string, boolean>();

/**
 * Whether a TCP connection to the URL's host and port succeeds within a second. Synchronous (a
 * short child process), because jest decides between describe and describe.skip synchronously.
 */
export function serverReachable(url: string, defaultPort: number): boolean {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(parsed.port || defaultPort);
  const key = `${host}:${port}`;
  const cached = reachableCache.get(key);
  if (cached !== undefined) return cached;
  const probe = `const s=require('net').connect(${port},${JSON.stringify(host)});` +
    `s.setTimeout(1000);s.on('connect',()=>process.exit(0));s.on('timeout',()=>process.exit(1));s.on('error',()=>process.exit(1));`;
  const result = spawnSync(process.execPath, ['-e', probe], { timeout: 3000 });
  const reachable = result.status === 0;
  reachableCache.set(key, reachable);
  return reachable;
}

/**
 * `describe` when the server answers; otherwise a skipped suite and a line saying why, or, with
 * REQUIRE_DATABASES=1, a suite with one failing test naming the server that was required.
 */
export function describeWithServer(label: string, url: string | undefined, defaultPort: number, body: () => void): void {
  if (url !== undefined && serverReachable(url, defaultPort)) {
    describe(label, body);
    return;
  }
  const where = url === undefined ? 'no URL is set' : `${maskPassword(url)} is not reachable`;
  if (REQUIRE_DATABASES) {
    describe(label, () => {
      it('has its database server (REQUIRE_DATABASES=1)', () => {
        throw new Error(`${label}: ${where}, and REQUIRE_DATABASES=1 requires it.`);
      });
    });
    return;
  }
  console.log(`${label}: ${where}; suite skipped (set REQUIRE_DATABASES=1 to make this a failure)`);
  describe.skip(label, body);
}

export const describePostgres = (label: string, body: () => void) => describeWithServer(label, POSTGRES_URL, 5432, body);
export const describeMysql = (label: string, body: () => void) => describeWithServer(label, MYSQL_URL, 3306, body);

/** A name no other test process uses at the same time: tables, application names, pool names. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

function maskPassword(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1[redacted]@');
}
