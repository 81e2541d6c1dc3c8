/**
 * Draws docs/grafana/dashboard.png from docs/grafana/dashboard-data.json (a real scrape, see
 * picture-scrape.ts) with vega-lite: the dashboard's main panels, two to a row, the load's phases
 * marked on each. vega renders SVG without a canvas; resvg turns it into a PNG. Nothing is
 * downloaded. An ES module because vega and vega-lite are ES modules with top-level await.
 *
 *   node dist/tools/dashboard/render-picture.mjs [data.json] [out.png]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

interface Series {
  refId: string;
  legend: string;
  labels: Record<string, string>;
  values: Array<[number, number]>;
}

interface PictureData {
  pool: string;
  startSeconds: number;
  endSeconds: number;
  rateWindow: string;
  phases: Array<{ name: string; at: number }>;
  panels: Array<{ title: string; series: Series[] }>;
}

interface Point {
  t: number;
  v: number;
  s: string;
}

/** How each panel is drawn: its unit, how values are scaled into it, and its colours. */
const STYLE: Record<string, { unit: string; scale?: number; area?: boolean; colors?: Record<string, string>; dashed?: string[] }> = {
  'Connections: used, idle, max': { unit: 'connections', colors: { used: '#d62728', idle: '#1f77b4', max: '#555555' }, dashed: ['max'] },
  'Callers waiting': { unit: 'callers', colors: { waiting: '#9467bd' } },
  'Wait for a connection (p50, p95, p99)': { unit: 'ms', scale: 1000, colors: { p50: '#9ecae1', p95: '#3182bd', p99: '#08306b' } },
  'Query duration (p50, p95, p99)': { unit: 'ms', scale: 1000, colors: { p50: '#fdd0a2', p95: '#fd8d3c', p99: '#a63603' } },
  'Acquire timeouts and refusals': { unit: 'per second', colors: { timeouts: '#d62728' } },
  'Slow queries per minute': { unit: 'per minute', colors: { slow: '#ff7f0e' } },
  'Connections closed, by reason': { unit: 'per second', area: true },
  'Time to open a connection (p50, p95, p99)': { unit: 'ms', scale: 1000, colors: { p50: '#c7e9c0', p95: '#41ab5d', p99: '#00441b' } },
};

/** A series' name in the picture: its legend without the pool name (one pool is drawn). */
function seriesName(panel: string, series: Series): string {
  const legend = series.legend.replace(/\{\{(\w+)\}\}/g, (_, label: string) => (label === 'pool_name' ? '' : (series.labels[label] ?? ''))).trim();
  if (panel === 'Callers waiting') return 'waiting';
  if (panel === 'Slow queries per minute') return 'slow';
  return legend || series.refId;
}

function points(data: PictureData, title: string): Point[] {
  const panel = data.panels.find((p) => p.title === title);
  if (!panel) throw new Error(`dashboard-data.json has no panel "${title}"`);
  const scale = STYLE[title]?.scale ?? 1;
  const rows = panel.series.flatMap((series) =>
    series.values.filter(([, v]) => Number.isFinite(v)).map(([t, v]) => ({ t: t - data.startSeconds, v: v * scale, s: seriesName(title, series) })),
  );
  // Series that stayed at zero the whole run (drain, maxUses, ... among the reasons) only crowd the legend.
  const lively = new Set(rows.filter((r) => r.v > 0).map((r) => r.s));
  return title === 'Connections closed, by reason' ? rows.filter((r) => lively.has(r.s)) : rows;
}

function panelSpec(data: PictureData, title: string, showPhases: boolean): Record<string, unknown> {
  const style = STYLE[title] ?? { unit: '' };
  const values = points(data, title);
  const names = style.colors ? Object.keys(style.colors) : [...new Set(values.map((r) => r.s))].sort();
  const phases = data.phases.map((p) => ({ t: p.at - data.startSeconds, name: p.name }));
  const x = { field: 't', type: 'quantitative', title: null, scale: { domain: [0, data.endSeconds - data.startSeconds], nice: false }, axis: { tickMinStep: 30, labelExpr: "datum.value + ' s'" } };
  return {
    title: { text: title, anchor: 'start', fontSize: 13, offset: 4 },
    width: 390,
    height: 130,
    layer: [
      { data: { values: phases }, mark: { type: 'rule', color: '#bbbbbb', strokeDash: [2, 3] }, encoding: { x } },
      ...(showPhases
        ? [{ data: { values: phases }, mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 9, color: '#777777' }, encoding: { x, y: { value: 0 }, text: { field: 'name' } } }]
        : []),
      {
        data: { values },
        mark: style.area ? { type: 'area', interpolate: 'step-after', opacity: 0.85 } : { type: 'line', interpolate: 'step-after', strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: 'v', type: 'quantitative', title: style.unit, stack: style.area ? 'zero' : null },
          color: {
            field: 's',
            type: 'nominal',
            title: null,
            sort: names,
            scale: style.colors ? { domain: names, range: Object.values(style.colors) } : { scheme: 'tableau10' },
            legend: { orient: 'top', direction: 'horizontal', symbolType: style.area ? 'square' : 'stroke', labelFontSize: 11, offset: 2 },
          },
          ...(style.area ? {} : { strokeDash: { field: 's', type: 'nominal', legend: null, scale: { domain: names, range: names.map((n) => (style.dashed?.includes(n) ? [5, 3] : [1, 0])) } } }),
        },
      },
    ],
  };
}

export function pictureSpec(data: PictureData): Record<string, unknown> {
  const titles = Object.keys(STYLE);
  const rows = [];
  for (let i = 0; i < titles.length; i += 2) {
    rows.push({
      hconcat: titles.slice(i, i + 2).map((title, j) => panelSpec(data, title, i === 0 && j === 0)),
      spacing: 40,
      resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
    });
  }
  const seconds = data.endSeconds - data.startSeconds;
  return {
    config: { font: 'DejaVu Sans', view: { stroke: '#dddddd' }, axis: { labelFontSize: 10, titleFontSize: 11, gridColor: '#eeeeee' }, axisY: { minExtent: 38 } },
    title: {
      text: `lifeguard dashboard (docs/grafana/lifeguard.json), pool "${data.pool}" on PostgreSQL`,
      subtitle: `${seconds} s of a real Prometheus scraping every second; rates over ${data.rateWindow}; dotted lines: the phases of the scripted load`,
      fontSize: 15,
      anchor: 'start',
    },
    vconcat: rows,
    spacing: 18,
    padding: 12,
    background: 'white',
  };
}

async function main(): Promise<void> {
  // This script is dist/tools/dashboard/render-picture.mjs (import.meta is not open to this project's module setting).
  const root = resolve(dirname(process.argv[1]), '../../..');
  const input = process.argv[2] ?? join(root, 'docs/grafana/dashboard-data.json');
  const output = process.argv[3] ?? join(root, 'docs/grafana/dashboard.png');
  const data = JSON.parse(readFileSync(input, 'utf8')) as PictureData;
  // Names held in variables: the type declarations of these three are not found by this
  // project's module resolution (node10), so they are typed here by what is used.
  const [vegaName, vegaLiteName, resvgName] = ['vega', 'vega-lite', '@resvg/resvg-js'];
  const vega = (await import(vegaName)) as {
    parse(spec: unknown): unknown;
    View: new (runtime: unknown, options: { renderer: 'none' }) => { toSVG(): Promise<string> };
  };
  const vegaLite = (await import(vegaLiteName)) as { compile(spec: unknown, options: { logger: unknown }): { spec: unknown } };
  const { Resvg } = (await import(resvgName)) as { Resvg: new (svg: string, options: unknown) => { render(): { asPng(): Buffer; width: number; height: number } } };
  // vega-lite warns that the layers' legends disagree (the phase rules have none): it merges them as wanted.
  const quiet = { level: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet, error: (...args: unknown[]) => (console.error(...args), quiet) };
  const view = new vega.View(vega.parse(vegaLite.compile(pictureSpec(data), { logger: quiet }).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: 1.5 } }).render();
  writeFileSync(output, png.asPng());
  process.stdout.write(`render-picture: wrote ${output} (${png.width}×${png.height}) from ${input}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`render-picture: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
