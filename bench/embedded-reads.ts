/**
 * Reads on an embedded libsql file while a writer runs: 16 callers each looping an indexed
 * single-row SELECT while one writer loops write transactions whose two UPDATEs have a 1 ms wait
 * between them (application code awaiting something outside the database mid-transaction).
 * lifeguard at max 1, 2 and 4 against one connection serialized by hand, where every read waits
 * for the writer's open transaction. With a second connection a read has one of its own while the
 * writer's transaction waits (WAL: readers see the last commit). The driver is synchronous and
 * everything runs on one event loop, so past two connections reads cannot go faster: the ceiling
 * is one core's worth of reads, whatever max is.
 *
 * Each read is followed by a turn of the event loop, as reads arriving from sockets have: with a
 * synchronous driver, 16 callers looping reads that never block would otherwise run as one chain
 * of microtasks, and the writer's timer would not fire until the round ended (measured: 1 write
 * transaction/s at max 2 and 4).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@libsql/client';
import { EMBEDDED_PRAGMAS } from '../adapters/libsql';
import type { Pool } from '../src';
import { compare, median, type Candidate, type Plan } from './harness';
import { report } from './report';
import { productionPool, uniqueName } from './servers';

const READERS = 16;
const ACCOUNTS = 100;
const READ = 'SELECT balance FROM accounts WHERE id = ?';
const DEBIT = 'UPDATE accounts SET balance = balance - 1 WHERE id = ?';
const CREDIT = 'UPDATE accounts SET balance = balance + 1 WHERE id = ?';
const ANCHOR = 'one connection, serialized by hand';
/** What the writer awaits between its two UPDATEs. */
const WRITER_WAIT_MS = 1;
const { busy_timeout: _setBelow, ...SAME_PRAGMAS } = EMBEDDED_PRAGMAS;

const account = () => 1 + Math.floor(Math.random() * ACCOUNTS);

/** The writer's commits per second during each measurement, by candidate. */
type WriterRates = Map<string, number[]>;

export async function benchEmbeddedReads(plan: Plan): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeguard-bench-reads-'));
  const rates: WriterRates = new Map();
  try {
    const candidates = [...[1, 2, 4].map((max) => lifeguardCandidate(dir, max, rates)), anchorCandidate(dir, rates)];
    // One candidate open at a time: each has its own file and its own writer, which must not run
    // while another candidate is measured.
    const comparison = await compare(candidates, [READERS], plan, { isolate: true });
    report(
      {
        title: `Embedded, libsql file: reads/s, ${READERS} readers while one writer loops write transactions (${WRITER_WAIT_MS} ms wait inside each)`,
        anchor: ANCHOR,
        extra: { header: "writer's tx/s", cell: (name) => String(Math.round(median(rates.get(name) ?? []))) },
      },
      comparison,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A writer looping until stopped; records its commits per second when it stops. */
function writerLoop(name: string, rates: WriterRates, transfer: () => Promise<unknown>): () => Promise<void> {
  let stopped = false;
  let commits = 0;
  const startedAt = performance.now();
  const running = (async () => {
    while (!stopped) {
      await transfer();
      commits++;
    }
  })();
  return async () => {
    stopped = true;
    await running;
    rates.set(name, [...(rates.get(name) ?? []), commits / ((performance.now() - startedAt) / 1000)]);
  };
}

function freshFile(dir: string): string {
  return path.join(dir, `${uniqueName('reads')}.db`);
}

function lifeguardCandidate(dir: string, max: number, rates: WriterRates): Candidate {
  const name = `lifeguard (production defaults, max ${max})`;
  let pool: Pool | undefined;
  let stopWriter: (() => Promise<void>) | undefined;
  return {
    name,
    setup: async () => {
      pool = await productionPool(`file:${freshFile(dir)}`, uniqueName('lg_bench_reads'), max);
      await pool.query('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
      await pool.query(`INSERT INTO accounts SELECT value, 1000 FROM generate_series(1, ${ACCOUNTS})`);
      const writing = pool;
      stopWriter = writerLoop(name, rates, () =>
        writing.transaction(async (tx) => {
          await tx.query(DEBIT, [account()]);
          await sleep(WRITER_WAIT_MS);
          await tx.query(CREDIT, [account()]);
        }),
      );
    },
    op: async () => {
      await pool!.query(READ, [account()]);
      await nextTurn();
    },
    teardown: async () => {
      await stopWriter?.();
      await pool!.close();
    },
  };
}

function anchorCandidate(dir: string, rates: WriterRates): Candidate {
  const { createClient } = require('@libsql/client') as typeof import('@libsql/client');
  let one: Client | undefined;
  let stopWriter: (() => Promise<void>) | undefined;
  // Reads and the writer's transactions take turns on the one connection.
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const transfer = async (client: Client) => {
    const tx = await client.transaction('write');
    try {
      await tx.execute({ sql: DEBIT, args: [account()] });
      await sleep(WRITER_WAIT_MS);
      await tx.execute({ sql: CREDIT, args: [account()] });
      await tx.commit();
    } finally {
      tx.close();
    }
  };
  return {
    name: ANCHOR,
    setup: async () => {
      const client = createClient({ url: `file:${freshFile(dir)}`, intMode: 'number' });
      for (const [pragma, value] of Object.entries(SAME_PRAGMAS)) await client.execute(`PRAGMA ${pragma} = ${value}`);
      await client.execute('PRAGMA busy_timeout = 5000');
      await client.execute('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
      await client.execute(`INSERT INTO accounts SELECT value, 1000 FROM generate_series(1, ${ACCOUNTS})`);
      one = client;
      stopWriter = writerLoop(ANCHOR, rates, () => inTurn(() => transfer(client)));
    },
    op: async () => {
      await inTurn(() => one!.execute({ sql: READ, args: [account()] }));
      await nextTurn();
    },
    teardown: async () => {
      await stopWriter?.();
      one!.close();
    },
  };
}
