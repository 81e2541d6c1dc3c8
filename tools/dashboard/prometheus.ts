/**
 * A private Prometheus for the scrape test and the dashboard picture: Debian's `prometheus`
 * binary on a free loopback port with its own temporary storage, scraping the given targets every
 * second, stopped (and its directory removed) by whoever started it. Plus promtool, and the
 * dashboard's queries read from docs/grafana/lifeguard.json.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, existsSync(resolve(__dirname, '../../package.json')) ? '../..' : '../../..');

/** Where Debian puts them; TEST_PROMETHEUS_BIN / TEST_PROMTOOL_BIN point elsewhere. */
export function prometheusBinaries(): { prometheus: string; promtool: string } | undefined {
  const find = (override: string | undefined, name: string) => override ?? ['/usr/bin', '/usr/local/bin', '/usr/sbin'].map((dir) => join(dir, name)).find((path) => existsSync(path));
  const prometheus = find(process.env.TEST_PROMETHEUS_BIN, 'prometheus');
  const promtool = find(process.env.TEST_PROMTOOL_BIN, 'promtool');
  return prometheus && promtool ? { prometheus, promtool } : undefined;
}

/** Runs promtool; its exit status and everything it printed. */
export function promtool(args: string[]): { status: number | null; output: string } {
  const binaries = prometheusBinaries();
  if (!binaries) throw new Error('promtool is not installed (Debian package prometheus)');
  const run = spawnSync(binaries.promtool, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface ScrapeTarget {
  job: string;
  /** host:port serving /metrics. */
  address: string;
}

/** One series of a range query: its labels and [unix seconds, value] pairs. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

const running = new Set<PrometheusServer>();
// A run that throws before stopping its Prometheus must not leave one behind on the machine.
process.once('exit', () => {
  for (const server of running) server.killNow();
});

export class PrometheusServer {
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000)));
    child.stdout?.on('data', (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000)));
  }

  static async start(targets: readonly ScrapeTarget[], scrapeIntervalSeconds = 1): Promise<PrometheusServer> {
    const binaries = prometheusBinaries();
    if (!binaries) throw new Error('prometheus is not installed (Debian package prometheus)');
    const dir = mkdtempSync(join(tmpdir(), 'lifeguard-prometheus-'));
    const jobs = targets.map((t) => `  - job_name: ${t.job}\n    static_configs:\n      - targets: ['${t.address}']\n`).join('');
    writeFileSync(join(dir, 'prometheus.yml'), `global:\n  scrape_interval: ${scrapeIntervalSeconds}s\n  scrape_timeout: ${scrapeIntervalSeconds}s\n  evaluation_interval: ${scrapeIntervalSeconds}s\nscrape_configs:\n${jobs}`);
    const port = await freePort();
    const child = spawn(
      binaries.prometheus,
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(child, dir, port);
    running.add(server);
    try {
      await server.waitFor(async () => (await fetch(`${server.url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, 'ready');
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves once every target has been scraped successfully at least once. */
  async waitForTargetsUp(timeoutMs = 30_000): Promise<void> {
    await this.waitFor(async () => {
      const body = (await this.api('targets', {})) as { activeTargets: Array<{ health: string }> };
      return body.activeTargets.length > 0 && body.activeTargets.every((t) => t.health === 'up');
    }, timeoutMs, 'targets up');
  }

  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const data = (await this.api('query', { query: expr })) as { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    return data.result;
  }

  async queryRange(expr: string, startSeconds: number, endSeconds: number, stepSeconds = 1): Promise<RangeSeries[]> {
    const data = (await this.api('query_range', { query: expr, start: String(startSeconds), end: String(endSeconds), step: String(stepSeconds) })) as { result: RangeSeries[] };
    return data.result;
  }

  /** Stops the server and removes its storage. */
  async stop(): Promise<void> {
    running.delete(this);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** @internal synchronous last resort at process exit. */
  killNow(): void {
    this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async api(path: string, params: Record<string, string>): Promise<unknown> {
    const response = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data?: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error ?? response.status}`);
    return body.data;
  }

  private async waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`prometheus exited (${this.child.exitCode}) before ${what}:\n${this.log}`);
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`prometheus not ${what} after ${timeoutMs} ms:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface DashboardQuery {
  panel: string;
  refId: string;
  legend: string;
  /** The panel's expression as written, with Grafana's variables. */
  expr: string;
}

export const DASHBOARD_FILE = join(REPO_ROOT, 'docs/grafana/lifeguard.json');

interface DashboardPanel {
  type: string;
  title: string;
  targets?: Array<{ expr: string; refId: string; legendFormat?: string }>;
  panels?: DashboardPanel[];
}

/** Every query of every panel of the dashboard, in panel order. */
export function dashboardQueries(file = DASHBOARD_FILE): DashboardQuery[] {
  const dashboard = JSON.parse(readFileSync(file, 'utf8')) as { panels: DashboardPanel[] };
  const flat = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  return flat.flatMap((panel) => (panel.targets ?? []).map((t) => ({ panel: panel.title, refId: t.refId, legend: t.legendFormat ?? '', expr: t.expr })));
}

/**
 * A dashboard expression as Grafana would send it: $__rate_interval replaced by `rateWindow`, and
 * the pool and instance variables by the selection, a regular expression (Grafana's "All" is .*).
 */
export function concreteQuery(expr: string, rateWindow: string, selection: { pool?: string; instance?: string } = {}): string {
  return expr
    .replaceAll('$__rate_interval', rateWindow)
    .replaceAll('$pool', selection.pool ?? '.*')
    .replaceAll('$instance', selection.instance ?? '.*');
}
