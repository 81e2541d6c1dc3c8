import type BetterSqlite3 from 'better-sqlite3';
import '../../examples/third-party-adapter';
import { runContractSuite } from './suite';
import { embeddedTarget } from './targets';

// The worked example of docs/adapters.md, held to the same contract as the built-in adapters.
runContractSuite(
  embeddedTarget(
    'third-party example (minisqlite:)',
    'minisqlite',
    (raw) => (raw as BetterSqlite3.Database).close(),
    (raw) => (raw as BetterSqlite3.Database).open,
  ),
);
