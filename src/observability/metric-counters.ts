import type { DestroyReason } from '../pool/connection';
import { PROMETHEUS } from './metric-names';
import type { PoolCounters } from '../pool/recorder';

/** A monotonic counter the pool keeps, exported as one series per label value ('' when unlabelled). */
export interface CounterFeed {
  name: string;
  help: string;
  labelName?: string;
  read(counters: PoolCounters): Array<[labelValue: string, value: number]>;
}

const DESTROY_REASONS: readonly DestroyReason[] = ['idle', 'lifetime', 'maxUses', 'broken', 'validation', 'keepalive', 'drain', 'transaction'];

const single = (name: string, help: string, read: (c: PoolCounters) => number): CounterFeed => ({
  name,
  help,
  read: (c) => [['', read(c)]],
});

export const COUNTER_FEEDS: readonly CounterFeed[] = [
  single(PROMETHEUS.timeouts, 'Callers that gave up waiting for a connection (acquireTimeoutMs passed).', (c) => c.acquireTimeouts),
  single(PROMETHEUS.createErrors, 'Attempts to open a connection that failed.', (c) => c.createErrors),
  single(PROMETHEUS.validationFailures, 'Connections that failed their liveness check before being handed out.', (c) => c.validationFailures),
  single(PROMETHEUS.queueFull, 'Acquires refused at once because maxWaiting callers were already queued.', (c) => c.queueFull),
  single(PROMETHEUS.slowQueries, 'Queries slower than slowQueryMs.', (c) => c.slowQueries),
  single(PROMETHEUS.leaks, 'Loans held longer than leakDetectionMs.', (c) => c.leaks),
  single(PROMETHEUS.slowConnects, 'Connections whose opening took slowConnectMs or longer.', (c) => c.slowConnects),
  {
    name: PROMETHEUS.destroyed,
    help: 'Connections closed, by reason: idle, lifetime, maxUses, broken, validation, keepalive, drain, transaction.',
    labelName: 'reason',
    read: (c) => DESTROY_REASONS.map((reason) => [reason, c.destroyed[reason]]),
  },
];
