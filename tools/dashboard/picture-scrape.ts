/**
 * The data behind docs/grafana/dashboard.png: one real scrape (scrape-run.ts, the full scenario,
 * about three minutes on the PostgreSQL of DATABASE_URL or TEST_POSTGRES_URL), then the queries of
 * the dashboard's main panels, read from docs/grafana/lifeguard.json and asked of that Prometheus
 * for the load service's pool, written to docs/grafana/dashboard-data.json. render-picture.mjs
 * draws the picture from that file. `npm run docs:dashboard-picture` runs both.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concreteQuery, dashboardQueries, REPO_ROOT } from './prometheus';
import { runScrape } from './scrape-run';

/** The panels drawn, by their title in lifeguard.json, each with the refIds it shows (all when absent). */
export const PICTURE_PANELS: ReadonlyArray<{ title: string; refIds?: string[] }> = [
  { title: 'Connections: used, idle, max' },
  { title: 'Callers waiting' },
  { title: 'Wait for a connection (p50, p95, p99)' },
  { title: 'Query duration (p50, p95, p99)' },
  { title: 'Acquire timeouts and refusals', refIds: ['A'] },
  { title: 'Slow queries per minute' },
  { title: 'Connections closed, by reason' },
  { title: 'Time to open a connection (p50, p95, p99)' },
];

/** How Grafana's $__rate_interval is read here: the scrape interval is 1 s. */
const RATE_WINDOW = '10s';

export interface PictureData {
  note: string;
  scenario: string;
  pool: string;
  startSeconds: number;
  endSeconds: number;
  rateWindow: string;
  phases: Array<{ name: string; at: number }>;
  serviceSummary: string;
  panels: Array<{ title: string; series: Array<{ refId: string; legend: string; labels: Record<string, string>; values: Array<[number, number]> }> }>;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const run = await runScrape({ databaseUrl, scenario: 'full', suffix: 'picture', onLine: (line) => process.stdout.write(`${line}\n`) });
  try {
    const queries = dashboardQueries();
    const panels: PictureData['panels'] = [];
    for (const wanted of PICTURE_PANELS) {
      const targets = queries.filter((q) => q.panel === wanted.title && (!wanted.refIds || wanted.refIds.includes(q.refId)));
      if (targets.length === 0) throw new Error(`docs/grafana/lifeguard.json has no panel "${wanted.title}"`);
      const series: PictureData['panels'][number]['series'] = [];
      for (const target of targets) {
        const query = concreteQuery(target.expr, RATE_WINDOW, { pool: run.servicePool });
        for (const s of await run.prometheus.queryRange(query, run.startSeconds, run.endSeconds, 1)) {
          series.push({ refId: target.refId, legend: target.legend, labels: s.metric, values: s.values.map(([t, v]) => [t, Number(v)]) });
        }
      }
      panels.push({ title: wanted.title, series });
      process.stdout.write(`picture: ${wanted.title}: ${series.length} series\n`);
    }
    const data: PictureData = {
      note: 'Written by `npm run docs:dashboard-picture` (tools/dashboard/picture-scrape.ts) from a real Prometheus scrape; rendered into dashboard.png by tools/dashboard/render-picture.mts.',
      scenario: 'full',
      pool: run.servicePool,
      startSeconds: run.startSeconds,
      endSeconds: run.endSeconds,
      rateWindow: RATE_WINDOW,
      phases: run.phases,
      serviceSummary: run.serviceSummary,
      panels,
    };
    writeFileSync(join(REPO_ROOT, 'docs/grafana/dashboard-data.json'), `${JSON.stringify(data)}\n`);
    process.stdout.write(`picture: wrote docs/grafana/dashboard-data.json (${run.endSeconds - run.startSeconds} s of scrapes)\n`);
  } finally {
    await run.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`picture-scrape: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
