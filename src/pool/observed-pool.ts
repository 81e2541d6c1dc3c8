import type { ResolvedConfig } from '../config/types';
import type { HealthReport } from './health-check';
import type { Trackable } from './metrics-tracker';
import type { PoolCounters, PoolStats } from './recorder';

/** The sizes alone, without stats()' percentiles and copies: what metrics read at every scrape. */
export interface PoolSizes {
  /** Open connections and those being opened (pg.Pool's totalCount). */
  total: number;
  active: number;
  idle: number;
  pending: number;
  min: number;
  max: number;
}

/**
 * What observability/ (the Prometheus and OpenTelemetry exporters, the health endpoint) reads of
 * a pool, and the tracker seam it writes to. Pool implements it; the edges never see the Pool class.
 */
export interface ObservedPool extends Trackable {
  readonly name: string;
  readonly config: ResolvedConfig;
  readonly adapter: { readonly name: string };
  readonly isClosed: boolean;
  /** The live counters (not a copy): exporters read them at each scrape. */
  readonly recorder: { readonly counters: Readonly<PoolCounters> };
  sizes(): PoolSizes;
  stats(): PoolStats;
  health(opts?: { timeoutMs?: number }): Promise<HealthReport>;
}
