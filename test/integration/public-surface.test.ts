/**
 * The package's public surface, pinned: what `require('lifeguard')` and `import ... from 'lifeguard'`
 * give at run time (every name and its typeof), what package.json points at (exports, main, types,
 * bin, files), and what a TypeScript consumer sees in dist/src/index.d.ts (every exported name,
 * its kind, and the members of exported classes, interfaces and types, with their types).
 *
 * The committed snapshot is the contract: a change to it is a change of the public API, made on
 * purpose. Regenerate it only with `UPDATE_PUBLIC_SURFACE=1 npx jest test/integration/public-surface`.
 *
 * What is deliberately not pinned:
 * - members marked `@internal`, and private ones: the pool's own plumbing, free to move;
 * - whether a type-only export is declared as a class or an interface: a consumer can only use it
 *   as a type, and what it can do with that type is its members, which are pinned;
 * - the parameter types of exported functions (their names, order, optionality and return types
 *   are pinned): a parameter may be widened (say from the Pool class to an interface every Pool
 *   implements) without breaking a caller; that every caller's Pool still fits is checked by the
 *   consumer program compiled at the end.
 *
 * Runs against dist/, which `npm test` builds first (pretest).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ts from 'typescript';

const root = resolve(__dirname, '../..');
const snapshotFile = join(__dirname, 'public-surface.snapshot.json');
const UPDATE = process.env.UPDATE_PUBLIC_SURFACE === '1';

interface Surface {
  manifest: Record<string, unknown>;
  runtime: { cjs: Record<string, string>; esm: Record<string, string> };
  types: Record<string, TypeEntry>;
}

interface TypeEntry {
  kind: string;
  text?: string;
  extends?: string[];
  members?: string[];
  signatures?: string[];
}

/** Every runtime export, name → typeof, read by a fresh node process as a user's code would. */
function runtimeSurface(): Surface['runtime'] {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const shape = (m) => Object.fromEntries(Object.keys(m).sort().map((k) => [k, typeof m[k]]));
    const cjs = require(${JSON.stringify(join(root, 'dist/src/index.js'))});
    const esm = await import(${JSON.stringify(join(root, 'esm/index.mjs'))});
    console.log(JSON.stringify({ cjs: shape(cjs), esm: shape(esm) }));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`reading the runtime exports failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Surface['runtime'];
}

function manifestSurface(): Surface['manifest'] {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  return Object.fromEntries(['name', 'main', 'types', 'exports', 'bin', 'files'].map((key) => [key, manifest[key]]));
}

const FORMAT = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.WriteArrayAsGenericType;

/** The declarations a consumer compiles against, read with the TypeScript compiler from dist/src/index.d.ts. */
function typeSurface(): Surface['types'] {
  const entry = join(root, 'dist/src/index.d.ts');
  const program = ts.createProgram([entry], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry) as ts.SourceFile);
  if (moduleSymbol === undefined) throw new Error('dist/src/index.d.ts is not a module');
  const out: Surface['types'] = {};
  for (const exported of [...checker.getExportsOfModule(moduleSymbol)].sort((a, b) => a.name.localeCompare(b.name))) {
    out[exported.name] = describeExport(checker, exported);
  }
  return out;
}

function describeExport(checker: ts.TypeChecker, exported: ts.Symbol): TypeEntry {
  const typeOnly = (exported.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declaration = target.declarations?.[0];
  if (declaration === undefined) throw new Error(`${exported.name} has no declaration`);
  if (!typeOnly && target.flags & ts.SymbolFlags.Class) return describeClass(checker, target);
  if (!typeOnly && target.flags & ts.SymbolFlags.Function) {
    const type = checker.getTypeOfSymbolAtLocation(target, declaration);
    return { kind: 'function', signatures: type.getCallSignatures().map((s) => signatureShape(checker, s)) };
  }
  if (!typeOnly && target.flags & ts.SymbolFlags.Variable) {
    return { kind: 'const', text: checker.typeToString(checker.getTypeOfSymbolAtLocation(target, declaration), undefined, FORMAT) };
  }
  return describeType(checker, checker.getDeclaredTypeOfSymbol(target));
}

/** A type as a consumer uses it: its expansion, its members and its call signatures. */
function describeType(checker: ts.TypeChecker, type: ts.Type): TypeEntry {
  const entry: TypeEntry = { kind: 'type', text: checker.typeToString(type, undefined, FORMAT | ts.TypeFormatFlags.InTypeAlias) };
  if (type.flags & (ts.TypeFlags.Object | ts.TypeFlags.Intersection)) {
    entry.members = checker
      .getPropertiesOfType(type)
      .filter(isPublic)
      .map((p) => memberText(checker, p))
      .sort();
    const calls = type.getCallSignatures().map((s) => checker.signatureToString(s, undefined, FORMAT));
    if (calls.length > 0) entry.signatures = calls;
  }
  return entry;
}

function describeClass(checker: ts.TypeChecker, cls: ts.Symbol): TypeEntry {
  const declaration = cls.declarations?.find(ts.isClassDeclaration) as ts.ClassDeclaration;
  const instance = checker.getDeclaredTypeOfSymbol(cls) as ts.InterfaceType;
  const statics = checker.getTypeOfSymbolAtLocation(cls, declaration);
  const members = [
    ...(checker.getPropertiesOfType(statics).filter((p) => p.name !== 'prototype' && isPublic(p)).map((p) => `static ${memberText(checker, p)}`)),
    ...declaration.members.filter(ts.isConstructorDeclaration).map((c) => `constructor(${c.parameters.map(parameterText).join(', ')})`),
    // Own members only: what a class inherits is pinned by its `extends`.
    ...checker
      .getPropertiesOfType(instance)
      .filter((p) => isPublic(p) && p.declarations?.some((d) => d.parent === declaration))
      .map((p) => memberText(checker, p)),
  ].sort();
  return { kind: 'class', extends: checker.getBaseTypes(instance).map((t) => checker.typeToString(t, undefined, FORMAT)), members };
}

/** Neither private, protected, a #field, nor documented @internal. */
function isPublic(symbol: ts.Symbol): boolean {
  return (symbol.declarations ?? []).every((d) => {
    const modifiers = ts.canHaveModifiers(d) ? (ts.getModifiers(d) ?? []) : [];
    if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword)) return false;
    const name = (d as ts.NamedDeclaration).name;
    if (name !== undefined && ts.isPrivateIdentifier(name)) return false;
    return !ts.getJSDocTags(d).some((tag) => tag.tagName.text === 'internal');
  });
}

function memberText(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  const declaration = symbol.declarations?.[0] as ts.NamedDeclaration;
  // Symbol-keyed members ([inspect.custom]) are named as written; their internal names carry ids.
  const name = declaration.name !== undefined && ts.isComputedPropertyName(declaration.name) ? declaration.name.getText() : symbol.name;
  const optional = symbol.flags & ts.SymbolFlags.Optional ? '?' : '';
  const modifiers = ts.canHaveModifiers(declaration) ? (ts.getModifiers(declaration) ?? []) : [];
  const readonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword) || (symbol.flags & ts.SymbolFlags.GetAccessor && !(symbol.flags & ts.SymbolFlags.SetAccessor)) ? 'readonly ' : '';
  return `${readonly}${name}${optional}: ${checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, declaration), undefined, FORMAT)}`;
}

function signatureShape(checker: ts.TypeChecker, signature: ts.Signature): string {
  const typeParameters = signature.typeParameters?.map((t) => t.symbol.name) ?? [];
  const declaration = signature.getDeclaration() as ts.SignatureDeclaration;
  const generics = typeParameters.length > 0 ? `<${typeParameters.join(', ')}>` : '';
  return `${generics}(${declaration.parameters.map(parameterText).join(', ')}) => ${checker.typeToString(checker.getReturnTypeOfSignature(signature), undefined, FORMAT)}`;
}

function parameterText(parameter: ts.ParameterDeclaration): string {
  return `${parameter.dotDotDotToken ? '...' : ''}${parameter.name.getText()}${parameter.questionToken || parameter.initializer ? '?' : ''}`;
}

function currentSurface(): Surface {
  return { manifest: manifestSurface(), runtime: runtimeSurface(), types: typeSurface() };
}

describe('the public surface of the package', () => {
  const surface = currentSurface();

  if (UPDATE) {
    writeFileSync(snapshotFile, `${JSON.stringify(surface, null, 2)}\n`);
  }

  const pinned = JSON.parse(readFileSync(snapshotFile, 'utf8')) as Surface;

  it('points package.json at the same entry points (exports, main, types, bin, files)', () => {
    expect(surface.manifest).toEqual(pinned.manifest);
  });

  it('exports the same names, of the same typeof, through require()', () => {
    expect(surface.runtime.cjs).toEqual(pinned.runtime.cjs);
  });

  it('exports the same names, of the same typeof, through import', () => {
    expect(surface.runtime.esm).toEqual(pinned.runtime.esm);
  });

  it('declares the same types for a TypeScript consumer: names, kinds and members', () => {
    expect(Object.keys(surface.types)).toEqual(Object.keys(pinned.types));
    for (const name of Object.keys(pinned.types)) expect({ [name]: surface.types[name] }).toEqual({ [name]: pinned.types[name] });
  });

  it('has every file package.json points at in the build', () => {
    const { main, types, bin } = surface.manifest as { main: string; types: string; bin: Record<string, string> };
    for (const file of [main, types, ...Object.values(bin), 'esm/index.mjs']) expect({ file, exists: existsSync(join(root, file)) }).toEqual({ file, exists: true });
  });
});

describe('a consumer of the typed API', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lifeguard-surface-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/lifeguard'), 'dir');
    for (const dependency of ['@types', 'prom-client', '@opentelemetry', 'eventemitter3']) {
      symlinkSync(join(root, 'node_modules', dependency), join(dir, 'node_modules', dependency), 'dir');
    }
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'ES2022', noEmit: true, skipLibCheck: true, types: ['node'] } }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('still passes a Pool (and its replicas, reader, stats and health) to every function that takes one', () => {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `
      import { Registry } from 'prom-client';
      import { metrics } from '@opentelemetry/api';
      import {
        createPool, getPool, registeredPools, closeAllPools, installShutdownHooks, registerPoolMetrics, registerPoolOtelMetrics,
        installMetricsTracker, healthHandler, Pool, PooledConnection,
        type MetricsTracker, type Reader, type ReadRoutedEvent, type ReadRoutingStats, type ReplicaStats, type PoolStats,
        type HealthReport, type HealthHandler, type PoolEvents, type DestroyReason,
      } from 'lifeguard';
      const pool: Pool = createPool({ url: 'file:app.db' });
      const named: Pool = getPool('named', { url: 'file:app.db' });
      const direct: Pool = new Pool({ url: 'file:app.db', readReplicaUrls: [] });
      const all: Pool[] = registeredPools();
      const replicas: readonly Pool[] = pool.replicaPools;
      const reader: Reader = pool.reader();
      const stats: PoolStats = pool.stats();
      const reads: ReadRoutingStats | undefined = stats.reads;
      const firstReplica: ReplicaStats | undefined = reads?.replicas[0];
      const unregister: () => void = registerPoolMetrics(pool, new Registry());
      const unregisterOtel: () => void = registerPoolOtelMetrics(named, metrics.getMeter('app'));
      const tracker: MetricsTracker = { recordCreate() {}, recordWait() {}, recordUse() {}, recordOperation() {} };
      const uninstall: () => void = installMetricsTracker(direct, tracker);
      const handler: HealthHandler = healthHandler({ pool, named, ...Object.fromEntries(replicas.map((r) => [r.name, r])) });
      const single: HealthHandler = healthHandler(pool, { token: 'x', timeoutMs: 100 });
      const onRead: PoolEvents['readRouted'] = (e: ReadRoutedEvent) => void e.servedBy;
      pool.on('readRouted', onRead);
      pool.on('destroy', (e) => { const reason: DestroyReason = e.reason; void reason; });
      async function run(): Promise<void> {
        const report: HealthReport = await pool.health({ timeoutMs: 100 });
        const lease: PooledConnection = await reader.acquire();
        lease.release();
        await reader.query('SELECT 1');
        await reader.withConnection(async (conn) => conn.query('SELECT 1'));
        void report;
        await closeAllPools({ timeoutMs: 10 });
      }
      installShutdownHooks({ signals: ['SIGTERM'], timeoutMs: 10 })();
      void [all, firstReplica, unregister, unregisterOtel, uninstall, handler, single, run];
    `,
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });
});
