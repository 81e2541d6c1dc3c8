/**
 * One real scrape, as the scrape test and the dashboard picture need it: the load service
 * (metrics-service.ts) and a `lifeguard serve` sidecar over the same PostgreSQL, a private
 * Prometheus scraping both every second, the sidecar's /health probed the way a readiness probe
 * would, until the service's scripted load is over. The caller queries Prometheus, then stops it.
 * Runs the compiled files in dist/ (`npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PrometheusServer, REPO_ROOT } from './prometheus';

export interface Phase {
  name: string;
  /** Unix seconds. */
  at: number;
}

export interface ScrapeRun {
  prometheus: PrometheusServer;
  /** The scrape window, unix seconds: from Prometheus's first look at both targets to the end of the load plus two scrapes. */
  startSeconds: number;
  endSeconds: number;
  phases: Phase[];
  /** The service's last line: `done <ms> ok=<n> failed=<n>`. */
  serviceSummary: string;
  servicePool: string;
  sidecarPool: string;
  healthProbes: { ok: number; other: number };
  stop(): Promise<void>;
}

export interface ScrapeOptions {
  databaseUrl: string;
  scenario: 'short' | 'full';
  /** Names the pools so parallel runs on one server stay apart. */
  suffix: string;
  onLine?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts a node script and resolves with the first stdout line matching `ready`. */
function startNode(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, onLine: (line: string) => void): { child: ChildProcess; line: Promise<RegExpExecArray> } {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-5000)));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', onLine);
  const line = new Promise<RegExpExecArray>((resolve, reject) => {
    lines.on('line', (text) => {
      const match = ready.exec(text);
      if (match) resolve(match);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before printing ${ready}: ${stderr}`)));
  });
  return { child, line };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function runScrape(options: ScrapeOptions): Promise<ScrapeRun> {
  const servicePool = `orders-${options.suffix}`;
  const sidecarPool = `sidecar-${options.suffix}`;
  const phases: Phase[] = [];
  let summary: string | undefined;
  const onServiceLine = (line: string) => {
    options.onLine?.(`service: ${line}`);
    const phase = /^phase (.+) (\d+)$/.exec(line);
    if (phase) phases.push({ name: phase[1], at: Number(phase[2]) / 1000 });
    if (line.startsWith('done ')) summary = line;
  };
  const env = { ...process.env, DATABASE_URL: options.databaseUrl, METRICS_SCENARIO: options.scenario, METRICS_POOL_NAME: servicePool };
  const service = startNode([join(REPO_ROOT, 'dist/tools/dashboard/metrics-service.js')], env, /^listening on (\d+)$/, onServiceLine);
  const sidecar = startNode(
    [join(REPO_ROOT, 'bin/lifeguard.js'), 'serve', '--port', '0', '--name', sidecarPool, '--min', '1', '--max', '2'],
    { ...process.env, DATABASE_URL: options.databaseUrl, NODE_ENV: 'production' },
    /http:\/\/127\.0\.0\.1:(\d+)\/health/,
    (line) => options.onLine?.(`sidecar: ${line}`),
  );
  const children = [service.child, sidecar.child];
  let prometheus: PrometheusServer | undefined;
  let probing = true;
  const stopAll = async () => {
    probing = false;
    await Promise.all([...children.map(stopChild), prometheus?.stop()]);
  };
  try {
    const [servicePort, sidecarPort] = await Promise.all([service.line.then((m) => m[1]), sidecar.line.then((m) => m[1])]);
    prometheus = await PrometheusServer.start([
      { job: 'service', address: `127.0.0.1:${servicePort}` },
      { job: 'sidecar', address: `127.0.0.1:${sidecarPort}` },
    ]);
    await prometheus.waitForTargetsUp();
    const upAt = Date.now() / 1000;
    const healthProbes = { ok: 0, other: 0 };
    const probe = (async () => {
      while (probing && summary === undefined) {
        const status = await fetch(`http://127.0.0.1:${sidecarPort}/health`).then((r) => r.status, () => 0);
        if (status === 200) healthProbes.ok++;
        else healthProbes.other++;
        await sleep(500);
      }
    })();
    const done = new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        if (summary !== undefined) {
          clearInterval(check);
          resolve();
        } else if (service.child.exitCode !== null) {
          clearInterval(check);
          reject(new Error(`the load service exited (${service.child.exitCode}) before its scenario was over`));
        }
      }, 100);
    });
    await done;
    await probe;
    // Two more scrapes of the final state, while the service lingers.
    await sleep(2200);
    const endSeconds = Math.ceil(Date.now() / 1000);
    // The load starts at the service's first scrape, which can come before both targets are up.
    const startSeconds = Math.floor(Math.min(upAt, phases[0]?.at ?? upAt));
    return {
      prometheus,
      startSeconds,
      endSeconds,
      phases,
      serviceSummary: summary as string,
      servicePool,
      sidecarPool,
      healthProbes,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
