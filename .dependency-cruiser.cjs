/**
 * The import rules of lifeguard's rooms (docs/architecture.md), checked by `npm run deps` in CI.
 *
 * Imports run one way, from the edges towards the core:
 *
 *   cli
 *    └─> integrations, observability, replicas, process     (the edges; none imports another)
 *         └─> pool  ─>  pool/engine                          (the core; engine/ alone reaches generic-pool)
 *              └─> sizing, adapters, config                  (adapters see config types only)
 *                   └─> shared
 *
 * Type-only imports count (tsPreCompilationDeps): a type import is a dependency a reader has to
 * follow like any other, and the cycles this layout removed were type-only.
 */
const CODE = '^(src|adapters)/';

function forbid(name, comment, from, to) {
  return { name, comment, severity: 'error', from, to };
}

/** A room may import only the rooms listed; a rule per room, so a violation names the room it broke. */
function room(name, from, allowed, comment) {
  return forbid(`${name}-imports-only-${allowed.length === 0 ? 'itself' : 'what-it-may'}`, comment, { path: from }, { path: CODE, pathNot: [from, ...allowed] });
}

module.exports = {
  forbidden: [
    forbid('no-circular', 'No import cycle between files (and so none between rooms), type-only imports included.', {}, { circular: true }),
    room('shared', '^src/shared/', [], 'errors, secrets, logger, optional packages, the deadline helper: the floor everything stands on.'),
    room('config', '^src/config/', ['^src/shared/'], 'Resolving settings is pure: it knows nothing of pools or drivers.'),
    room('adapters', '^adapters/', ['^src/shared/', '^src/config/types\\.ts$'], 'An adapter knows its driver, the shared errors and the config types; nothing about pooling.'),
    forbid('adapters-use-config-types-only', 'Adapters read the resolved config; they never run the resolver.', { path: '^adapters/' }, { path: '^src/config/', dependencyTypesNot: ['type-only'] }),
    room('sizing', '^src/sizing/', ['^src/shared/', '^src/config/types\\.ts$', '^adapters/contract\\.ts$'], 'Sizing arithmetic and the one-time fleet check: no pool in it.'),
    room('pool-engine', '^src/pool/engine/', ['^src/pool/connection\\.ts$', '^src/shared/'], 'The generic-pool wrapper knows connection records, nothing of the policies around them.'),
    room('pool-pipeline', '^src/pool/pipeline/', ['^src/pool/(connection|writer-lane)\\.ts$', '^src/shared/', '^adapters/contract\\.ts$'], 'Pipelined pool.query knows connection records and the adapter\'s pipelining; the pool drives it through PipelineHost.'),
    room('pool', '^src/pool/', ['^src/shared/', '^src/config/', '^src/sizing/', '^adapters/'], 'The pool core never imports an edge: replicas, observability, process, cli, integrations.'),
    room('replicas', '^src/replicas/', ['^src/pool/', '^src/shared/', '^src/config/', '^adapters/contract\\.ts$'], 'Read routing reaches the pool through the interfaces pool/ declares.'),
    room('observability', '^src/observability/', ['^src/pool/', '^src/shared/', '^src/config/'], 'Metrics backends and the health endpoint reach the pool through the interfaces pool/ declares.'),
    room('process', '^src/process/', ['^src/pool/', '^src/shared/', '^src/config/'], 'The process-wide registry and shutdown hooks hold pools; nothing in the pool knows them.'),
    room(
      'integrations',
      '^src/integrations/',
      // createPool (process/open-pools.ts) too: `new PgPool()` makes its pool the way createPool() does,
      // so closeAllPools() and the SIGTERM hooks drain it like any other.
      ['^src/pool/', '^src/shared/', '^src/config/', '^adapters/', '^src/process/open-pools\\.ts$'],
      'Data-layer facades (lifeguard/pg, ...) stand on the pool and the adapters, and make pools with createPool().',
    ),
    forbid(
      'edges-reach-the-pool-through-its-interfaces',
      'replicas/ and observability/ use the narrow interfaces pool/ declares, never the Pool class.',
      { path: '^src/(replicas|observability)/' },
      { path: '^src/pool/pool\\.ts$' },
    ),
    forbid(
      'nothing-imports-the-entry-points',
      'src/index.ts and the cli are the top of the graph; integrations are reached only through their own entry points.',
      { path: CODE, pathNot: ['^src/cli/', '^src/integrations/'] },
      { path: ['^src/index\\.ts$', '^src/cli/', '^src/integrations/'] },
    ),
    forbid('only-the-engine-touches-generic-pool', 'DESIGN.md: one module reaches generic-pool.', { pathNot: '^src/pool/engine/generic-pool-engine\\.ts$' }, { path: '^node_modules/generic-pool/' }),
    forbid(
      'drivers-only-in-adapters-and-integrations',
      'The pool core never imports a driver; adapters (and the integrations facades) load theirs lazily.',
      { path: CODE, pathNot: ['^adapters/', '^src/integrations/'] },
      { path: '^node_modules/(pg|mysql2|@libsql/client|better-sqlite3)/' },
    ),
    forbid(
      'metrics-packages-only-in-observability',
      'prom-client and @opentelemetry/api are optional peers, loaded by the exporters that need them.',
      { path: CODE, pathNot: ['^src/observability/', '^src/cli/'] },
      { path: '^node_modules/(prom-client|@opentelemetry)/' },
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
