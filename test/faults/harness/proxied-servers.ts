/**
 * The local PostgreSQL and MariaDB, each reached through a fresh TCP proxy per test: what the
 * network fault suites run against. `forEachProxiedServer` declares one suite per server (skipped,
 * or failing under REQUIRE_DATABASES=1, when the server is not there) and, in it, starts the proxy
 * before each test and closes the fault pools and the proxy after it.
 */
import { describeMysql, describePostgres, MYSQL_URL, POSTGRES_URL } from '../../helpers/databases';
import { closeFaultPools } from './fault-pools';
import { TcpProxy } from './tcp-proxy';

const SERVERS = [
  { label: 'PostgreSQL', describeServer: describePostgres, url: POSTGRES_URL, defaultPort: 5432 },
  { label: 'MariaDB', describeServer: describeMysql, url: MYSQL_URL, defaultPort: 3306 },
];

export interface ProxiedServer {
  label: string;
  /** The server's own URL (the proxy's is `proxy().urlFor(url)`). */
  url: string;
  /** This test's proxy. */
  proxy(): TcpProxy;
}

export function forEachProxiedServer(title: (label: string) => string, body: (server: ProxiedServer) => void): void {
  for (const { label, describeServer, url, defaultPort } of SERVERS) {
    describeServer(title(label), () => {
      let proxy: TcpProxy | undefined;
      beforeEach(async () => {
        const target = new URL(url);
        proxy = await TcpProxy.start(target.hostname, Number(target.port || defaultPort));
      });
      afterEach(async () => {
        await closeFaultPools();
        await proxy?.close();
      });
      body({ label, url, proxy: () => proxy as TcpProxy });
    });
  }
}
