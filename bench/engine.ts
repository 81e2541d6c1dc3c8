/**
 * Engine overhead: acquire→release cycles per second with a no-op resource, 64 callers over
 * max 10, so both the idle hand-out and the waiting path are exercised. lifeguard runs with its
 * production defaults (acquire timeout and test-on-acquire on, metrics registered) over a no-op adapter.
 */
import * as genericPool from 'generic-pool';
import { Pool as PgPool } from 'pg';
import { Pool as TarnPool } from 'tarn';
import { EventEmitter } from 'node:events';
import { Registry } from 'prom-client';
import { createPool, registerAdapter, registerPoolMetrics, silentLogger, type Adapter, type Pool } from '../src';
import { compare, type Candidate, type Plan } from './harness';
import { report } from './report';
import { noopAdapter } from './noop-adapter';

const noop = noopAdapter('noop');

const MAX = 10;
const LIFEGUARD = 'lifeguard (production defaults)';

/** What pg-pool needs of a client class, doing no I/O. */
class NoopPgClient extends EventEmitter {
  connect(callback: (err?: Error) => void) {
    setImmediate(() => callback());
  }
  end(callback?: () => void) {
    callback?.();
    return Promise.resolve();
  }
  release() {}
}

export async function benchEngine(plan: Plan): Promise<void> {
  registerAdapter('noop', () => noop as Adapter<unknown>);
  let lifeguard: Pool | undefined;
  let gp: genericPool.Pool<object> | undefined;
  let tarn: TarnPool<object> | undefined;
  let pgPool: PgPool | undefined;

  const candidates: Candidate[] = [
    {
      name: 'generic-pool (raw)',
      setup: async () => {
        gp = genericPool.createPool({ create: async () => ({}), destroy: async () => undefined }, { max: MAX, min: MAX });
      },
      op: async () => {
        const r = await gp!.acquire();
        await gp!.release(r);
      },
      teardown: async () => {
        await gp!.drain();
        await gp!.clear();
      },
    },
    {
      name: LIFEGUARD,
      setup: async () => {
        lifeguard = createPool({ url: 'noop://bench', env: {}, profile: 'production', max: MAX, min: MAX, logger: silentLogger });
        registerPoolMetrics(lifeguard, new Registry());
        await lifeguard.warmup();
      },
      op: async () => {
        const lease = await lifeguard!.acquire();
        lease.release();
      },
      teardown: async () => lifeguard!.close(),
    },
    {
      name: 'tarn',
      setup: async () => {
        tarn = new TarnPool({ create: async () => ({}), destroy: () => undefined, min: 0, max: MAX });
      },
      op: async () => {
        const r = await tarn!.acquire().promise;
        tarn!.release(r);
      },
      teardown: async () => {
        await tarn!.destroy();
      },
    },
    {
      name: 'pg-pool',
      setup: async () => {
        pgPool = new PgPool({ max: MAX, Client: NoopPgClient as unknown as typeof import('pg').Client });
      },
      op: async () => {
        const client = await pgPool!.connect();
        client.release();
      },
      teardown: async () => pgPool!.end(),
    },
  ];
  const results = await compare(candidates, [64], plan);
  report(
    {
      title: 'Engine overhead: acquire→release cycles/s, no-op resource, max 10, 64 callers',
      anchor: 'generic-pool (raw)',
      // "Within 1.5× raw generic-pool": at least 1/1.5 of its cycles per second.
      targets: [{ candidate: LIFEGUARD, anchor: 'generic-pool (raw)', callers: 64, atLeast: 0.67 }],
    },
    results,
  );
}
