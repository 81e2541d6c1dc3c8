/**
 * Embedded SQLite files: 16 callers each running a short write transaction (two UPDATEs with an
 * await between them, as application code has), on a libsql file and on better-sqlite3. lifeguard
 * (production defaults, max 4, its single-writer lane) against one connection serialized by hand
 * (the safe baseline) and four connections with no lane (what a naive pool does), with the count
 * of SQLITE_BUSY errors each met.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from '@libsql/client';
import type { Database } from 'better-sqlite3';
import { EMBEDDED_PRAGMAS } from '../adapters/libsql';
import type { Pool } from '../src';
import { compare, type Candidate, type Plan } from './harness';
import { benchEmbeddedReads } from './embedded-reads';
import { report } from './report';
import { hasAdapter, PRODUCTION_NOTE, productionPool, uniqueName } from './servers';

const CALLERS = 16;
const MAX = 4;
const ACCOUNTS = 100;
const DEBIT = 'UPDATE accounts SET balance = balance - 1 WHERE id = ?';
const CREDIT = 'UPDATE accounts SET balance = balance + 1 WHERE id = ?';
const LIFEGUARD = 'lifeguard (production defaults, max 4)';

/** The baselines run with the pragmas lifeguard sets on embedded files, so only the pooling differs. */
const { busy_timeout: _eachSetsItsOwn, ...SAME_PRAGMAS } = EMBEDDED_PRAGMAS;

const account = () => 1 + Math.floor(Math.random() * ACCOUNTS);

export async function benchEmbedded(plan: Plan): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeguard-bench-'));
  try {
    console.log(`\nlifeguard: ${PRODUCTION_NOTE}`);
    await runDriver('libsql file', `file:${path.join(dir, 'libsql.db')}`, libsqlCandidates, plan);
    await runDriver('better-sqlite3', `sqlite:${path.join(dir, 'better.db')}`, betterSqliteCandidates, plan);
    await benchEmbeddedReads(plan);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runDriver(label: string, url: string, make: (file: string) => Candidate[], plan: Plan): Promise<void> {
  const file = url.replace(/^(file|sqlite):/, '');
  const candidates = make(file);
  if (await hasAdapter(url)) candidates.unshift(lifeguardCandidate(url));
  else console.log(`\n(lifeguard has no adapter for ${url.split(':')[0]}: in this build: its row is left out)`);
  const comparison = await compare(candidates, [CALLERS], plan);
  report(
    {
      title: `Embedded, ${label}: write transactions/s, ${CALLERS} callers`,
      anchor: 'one connection, serialized by hand',
      extra: { header: 'SQLITE_BUSY', cell: (name, comparison) => String(busyCount(comparison.errorCodes.get(name))) },
    },
    comparison,
  );
}

function busyCount(codes: Map<string, number> | undefined): number {
  let count = 0;
  for (const [code, n] of codes ?? []) if (code.startsWith('SQLITE_BUSY')) count += n;
  return count;
}

/**
 * The no-lane candidate's own file: its connections contend with each other, not with the others'.
 * On the shared file its clients, left unusable by a failed BEGIN, starved the WAL checkpoint
 * (measured: the WAL grew from 4 MB to 285 MB in one run), which the other candidates then paid for.
 */
function naiveFile(file: string): string {
  return `${file}.no-lane.db`;
}

/** One caller at a time: later callers queue on a promise chain. */
function serializer(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

function lifeguardCandidate(url: string): Candidate {
  let pool: Pool | undefined;
  return {
    name: LIFEGUARD,
    setup: async () => {
      pool = await productionPool(url, uniqueName('lg_bench_embedded'), MAX);
      await pool.query('CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
    },
    op: () =>
      pool!.transaction(async (tx) => {
        await tx.query(DEBIT, [account()]);
        await tx.query(CREDIT, [account()]);
      }),
    teardown: () => pool!.close(),
  };
}

function libsqlCandidates(file: string): Candidate[] {
  const { createClient } = require('@libsql/client') as typeof import('@libsql/client');
  const open = async (busyTimeoutMs: number, on = file) => {
    const client = createClient({ url: `file:${on}`, intMode: 'number' });
    for (const [name, value] of Object.entries(SAME_PRAGMAS)) await client.execute(`PRAGMA ${name} = ${value}`);
    await client.execute(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    await client.execute('CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
    await client.execute(`INSERT OR IGNORE INTO accounts SELECT value, 1000 FROM generate_series(1, ${ACCOUNTS})`).catch(async () => {
      for (let id = 1; id <= ACCOUNTS; id++) await client.execute({ sql: 'INSERT OR IGNORE INTO accounts VALUES (?, 1000)', args: [id] });
    });
    return client;
  };
  const transfer = async (client: Client) => {
    const tx = await client.transaction('write');
    try {
      await tx.execute({ sql: DEBIT, args: [account()] });
      await tx.execute({ sql: CREDIT, args: [account()] });
      await tx.commit();
    } finally {
      tx.close();
    }
  };
  const single = 'one connection, serialized by hand';
  const naive = `${MAX} connections, no lane (busy_timeout 0)`;
  let one: Client | undefined;
  let many: Client[] = [];
  const inTurn = serializer();
  const inTurnOn = Array.from({ length: MAX }, () => serializer());
  return [
    {
      name: single,
      setup: async () => {
        one = await open(5000);
      },
      op: () => inTurn(() => transfer(one!)),
      teardown: async () => one!.close(),
    },
    {
      name: naive,
      // A synchronous driver waiting in busy_timeout blocks the event loop the lock holder needs,
      // so a naive pool runs with busy_timeout 0 and meets SQLITE_BUSY at once instead.
      setup: async () => {
        // One after another: on a fresh file, opening them at once would race to create it.
        many = [];
        for (let i = 0; i < MAX; i++) many.push(await open(0, naiveFile(file)));
      },
      // Each connection runs one transaction at a time; the connections contend with each other.
      op: (caller) => inTurnOn[caller % MAX](() => transfer(many[caller % MAX])),
      teardown: async () => many.forEach((client) => client.close()),
    },
  ];
}

function betterSqliteCandidates(file: string): Candidate[] {
  const BetterSqlite = require('better-sqlite3') as typeof import('better-sqlite3');
  const open = (busyTimeoutMs: number, on = file) => {
    const db = new BetterSqlite(on);
    for (const [name, value] of Object.entries(SAME_PRAGMAS)) db.pragma(`${name} = ${value}`);
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.exec('CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
    const insert = db.prepare('INSERT OR IGNORE INTO accounts VALUES (?, 1000)');
    db.transaction(() => {
      for (let id = 1; id <= ACCOUNTS; id++) insert.run(id);
    })();
    return db;
  };
  const transfer = async (db: Database) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare(DEBIT).run(account());
      await Promise.resolve();
      db.prepare(CREDIT).run(account());
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  };
  const single = 'one connection, serialized by hand';
  const naive = `${MAX} connections, no lane (busy_timeout 0)`;
  let one: Database | undefined;
  let many: Database[] = [];
  const inTurn = serializer();
  const inTurnOn = Array.from({ length: MAX }, () => serializer());
  return [
    {
      name: single,
      setup: async () => {
        one = open(5000);
      },
      op: () => inTurn(() => transfer(one!)),
      teardown: async () => {
        one!.close();
      },
    },
    {
      name: naive,
      setup: async () => {
        many = Array.from({ length: MAX }, () => open(0, naiveFile(file)));
      },
      op: (caller) => inTurnOn[caller % MAX](() => transfer(many[caller % MAX])),
      teardown: async () => many.forEach((db) => db.close()),
    },
  ];
}
