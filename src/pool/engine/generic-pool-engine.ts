/**
 * src/pool/engine/ — the pool's bookkeeping underneath its policies: this wrapper, the waiter
 * queue it hands generic-pool (waiter-queue.ts) and the acquire deadlines of every waiter on one
 * timer (waiter-deadlines.ts). It knows connection records (../connection.ts), nothing else of pool/.
 *
 * The only module that touches generic-pool. generic-pool keeps the bookkeeping (which connections
 * exist, which are idle, who is waiting); every policy is lifeguard's. generic-pool 3.9 is
 * unmaintained and each defect below is compensated here, with a regression test in
 * test/unit/engine-compensations.test.ts:
 *
 *  1. A rejected factory.create is retried at once, forever, while anyone waits; a synchronously
 *     rejected create starves the event loop. → creates go through the Connector's backoff gate.
 *  2. No create timeout. → the Connector bounds each attempt by connectTimeoutMs.
 *  3. A rejecting `validate` is unhandled and leaks the slot. → generic-pool never validates;
 *     the pool validates in its acquire loop and destroys what fails.
 *  4. testOnReturn is a no-op; no max lifetime or max uses. → the pool retires on release.
 *  5. A hard idleTimeoutMillis ignores `min` and churns. → our Evictor never evicts at or below min.
 *  6. `min` is never restored after create failures. → we re-run _ensureMinimum after each one.
 *  7. clear() leaves destroyed resources in the available list. → destroyIdle() removes them.
 *  8. drain() never rejects waiters and waits forever for borrowed resources. → close() is ours.
 *  9. Options are read with `||` (0 cannot be set) and string booleans fall back to defaults.
 *     → only validated numbers reach generic-pool, and none of its 0-sensitive options is used.
 * 10. A waiter that gave up stays queued and still counts as pending. → WaiterQueue.remove().
 */
import { onAbort } from '../../shared/abort-listeners';
import type { Factory, Pool as GenericPool } from 'generic-pool';
import type { Connection, DestroyReason } from '../connection';
import { WaiterQueue, type QueuedRequest } from './waiter-queue';
import { DeadlineTracker } from './waiter-deadlines';

/** generic-pool's PooledResource: the engine stamps its times itself, from the caller's clock reading (see stampLent). */
interface PooledResource<T> {
  obj: T;
  state: string;
  lastBorrowTime: number | null;
  lastReturnTime: number | null;
  lastIdleTime: number | null;
}

/** What the queue holds: WaitRequests (Engine.take; generic-pool's own acquire() is never called), which generic-pool dispatches to. */
type GenericPoolRequest = QueuedRequest & { resolve(value: unknown): void };

/** The part of generic-pool's ResourceLoan that release() and destroy() use. */
interface Loan<T> {
  pooledResource: PooledResource<T>;
  resolve(): void;
}

/** generic-pool 3.9 internals this module relies on; the version is pinned in package.json. */
/** A node of generic-pool's idle list (its Deque is a DoublyLinkedList underneath). */
interface IdleNode<T> {
  data: PooledResource<T>;
  prev: IdleNode<T> | null;
}

interface GenericPoolInternals<T> {
  _allObjects: Set<PooledResource<T>>;
  _availableObjects: {
    length: number;
    shift(): PooledResource<T> | undefined;
    unshift(resource: PooledResource<T>): void;
    _list: { tail: IdleNode<T> | null; remove(node: IdleNode<T>): void };
  };
  _resourceLoans: Map<T, Loan<T>>;
  _factoryCreateOperations: Set<Promise<unknown>>;
  _factoryDestroyOperations: Set<Promise<unknown>>;
  _draining: boolean;
  _started: boolean;
  _config: { max: number };
  _evict(): void;
  _ensureMinimum(): void;
  _dispense(): void;
  _destroy(resource: PooledResource<T>): void;
  _descheduleEvictorRun(): void;
}

type GenericPoolConstructor = new <T>(
  evictor: new () => unknown,
  deque: new () => unknown,
  queue: new (size?: number) => WaiterQueue,
  factory: Factory<T>,
  options: Record<string, unknown>,
) => GenericPool<T>;

export interface EngineHooks<Raw> {
  create(): Promise<Connection<Raw>>;
  destroy(conn: Connection<Raw>): Promise<void>;
  onCreateError(err: unknown): void;
  /** Why an idle connection should go now, given how many the pool holds; undefined to keep it. */
  idleEvictionReason(conn: Connection<Raw>, total: number, now: number): DestroyReason | undefined;
  /** The error a waiter gets when its acquireTimeoutMs runs out. */
  timeoutError(waitedMs: number, pending: number): Error;
}

export class Engine<Raw> {
  private readonly gp: GenericPool<Connection<Raw>>;
  private readonly internals: GenericPoolInternals<Connection<Raw>>;
  private readonly queue: WaiterQueue;
  private readonly deadlines: DeadlineTracker;

  constructor(
    hooks: EngineHooks<Raw>,
    limits: { min: number; max: number },
  ) {
    const size = () => this.size;
    // generic-pool constructs its queue itself; one queue instance is made per pool, kept here.
    const queue = new WaiterQueue();
    const CapturedQueue = function CapturedQueue() {
      return queue;
    } as unknown as new (size?: number) => WaiterQueue;
    class LifeguardEvictor {
      evict(_config: unknown, resource: PooledResource<Connection<Raw>>): boolean {
        const reason = hooks.idleEvictionReason(resource.obj, size(), Date.now());
        if (reason === undefined) return false;
        resource.obj.destroyReason = reason;
        return true;
      }
    }
    const factory: Factory<Connection<Raw>> = {
      create: () => hooks.create(),
      destroy: (conn) => hooks.destroy(conn),
    };
    // The constructor (not createPool) is the documented way to supply one's own queue and evictor.
    const { Pool: Ctor, Deque } = require('generic-pool') as { Pool: GenericPoolConstructor; Deque: new () => unknown };
    this.gp = new Ctor(LifeguardEvictor, Deque, CapturedQueue, factory, {
      max: limits.max,
      min: limits.min,
      // LIFO: the most recently used connection goes out first, so it skips validation (used
      // within 500 ms) and the surplus above min stays idle long enough to be reaped.
      fifo: false,
      testOnBorrow: false,
      testOnReturn: false,
      autostart: false,
      // The pool drives eviction from its own housekeeping timer (see evictIdle).
      evictionRunIntervalMillis: 0,
      numTestsPerEvictionRun: Math.max(limits.max, 1),
    });
    this.internals = this.gp as unknown as GenericPoolInternals<Connection<Raw>>;
    this.queue = queue;
    this.deadlines = new DeadlineTracker((request, waitedMs) => {
      // Counted after removal: the error reports the callers still waiting besides this one.
      this.queue.remove(request);
      request.reject(hooks.timeoutError(waitedMs, this.queue.length));
    });
    this.gp.on('factoryCreateError', (err: unknown) => {
      hooks.onCreateError(err);
      // generic-pool forgets min after a failed create; the backoff gate spaces these retries.
      if (!this.internals._draining) this.internals._ensureMinimum();
    });
    this.gp.on('factoryDestroyError', () => undefined);
  }

  /** Opens `min` connections in the background. */
  start(): void {
    this.gp.start();
  }

  /** Every open connection, idle or borrowed. */
  *connections(): IterableIterator<Connection<Raw>> {
    for (const resource of this.internals._allObjects) yield resource.obj;
  }

  /** Total connections, open or opening. */
  get size(): number {
    return this.gp.size;
  }
  get idle(): number {
    return this.gp.available;
  }
  get pending(): number {
    return this.queue.length;
  }
  get opening(): number {
    return this.internals._factoryCreateOperations.size;
  }

  /**
   * Hands over an idle connection at once, or undefined when none is idle or callers are already
   * waiting (they go first). This is generic-pool's own dispatch (_dispatchPooledResourceToNextWaitingClient)
   * without the two promises, the Deferreds and the queue round-trip of acquire(): the loan is
   * recorded exactly as generic-pool records it, so release(), destroy(), `borrowed` and the
   * evictor see a connection taken here like any other.
   */
  takeIdle(now = Date.now()): Connection<Raw> | undefined {
    const available = this.internals._availableObjects;
    if (available.length === 0 || this.queue.length > 0 || this.internals._draining) return undefined;
    return this.lendResource(available.shift() as PooledResource<Connection<Raw>>, now);
  }

  /**
   * Takes the longest-idle connection that `pick` accepts out of the idle list, for the pool's
   * own use (the keepalive check): no caller can be handed it until it comes back through give()
   * or goes through retire(). Undefined when none is accepted or callers are waiting (they go
   * first). The list runs from most to least recently used (LIFO), so the walk starts at its tail.
   * A node taken from the middle is safe for generic-pool's evictor: its iterator notices a
   * detached node, as it does after shift().
   */
  takeIdleWhere(pick: (conn: Connection<Raw>) => boolean): Connection<Raw> | undefined {
    if (this.queue.length > 0 || this.internals._draining) return undefined;
    const list = this.internals._availableObjects._list;
    for (let node = list.tail; node !== null; node = node.prev) {
      if (!pick(node.data.obj)) continue;
      list.remove(node);
      return this.lendResource(node.data, Date.now());
    }
    return undefined;
  }

  /** Records the loan exactly as generic-pool does, so release(), destroy() and `borrowed` see it. */
  private lendResource(resource: PooledResource<Connection<Raw>>, now: number): Connection<Raw> {
    this.internals._resourceLoans.set(resource.obj, { pooledResource: resource, resolve: loanSettled });
    stampLent(resource, now);
    return resource.obj;
  }

  /**
   * Waiters that no idle, opening or still-openable connection will serve: they wait for a
   * release. This, not `pending`, is what maxWaiting bounds; on a cold pool every caller is
   * briefly pending while its own connection opens.
   */
  get waitingForRelease(): number {
    const servable = this.idle + this.opening + Math.max(0, this.internals._config.max - this.size);
    return Math.max(0, this.pending - servable);
  }

  /**
   * Takes a connection, waiting up to timeoutMs (0: no limit). When one is idle it is handed over
   * without a timer or a signal listener; a waiter shares the pool's single deadline timer. A
   * waiter that gives up is taken out of the queue and its request rejected, so nothing is ever
   * dispatched to it. `now` is the caller's Date.now(), its wait's start.
   *
   * What generic-pool's acquire() does (start, refuse while draining, enqueue, dispense), with a
   * request of lifeguard's in its queue instead of a ResourceRequest, which reads the clock for a
   * timeout lifeguard never gives it and clears that absent timer on every settle; generic-pool
   * dispatches to it as to its own (state, resolve). acquire()'s maxWaitingClients check is not
   * repeated: that option is never set (maxWaiting is the pool's).
   */
  take(timeoutMs: number, signal?: AbortSignal, now = Date.now()): Promise<Connection<Raw>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.internals._started) this.gp.start();
    if (this.internals._draining) return Promise.reject(new Error('pool is draining and cannot accept work'));
    const request = new WaitRequest<Connection<Raw>>();
    this.queue.enqueue(request);
    this.internals._dispense();
    if (request.state !== 'PENDING') return request.promise;
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) this.deadlines.add(request, timeoutMs, now);
    if (signal) {
      const forget = onAbort(signal, () => this.giveUp(request, signal.reason));
      request.promise.then(forget, forget);
    }
    return request.promise;
  }

  private giveUp(request: QueuedRequest, reason: unknown): void {
    if (request.state !== 'PENDING') return;
    this.queue.remove(request);
    request.reject(reason);
  }

  /**
   * Returns a borrowed connection. With callers waiting it goes straight to the first of them:
   * what generic-pool's release() then _dispense() do (settle the loan, record a new one,
   * allocate, resolve the request) without parking it in the idle list, a new ResourceLoan and
   * its promise. With nobody waiting, what release() does (settle the loan, deallocate, park it
   * first in the idle list, dispense) without its resolved promise and its own clock readings.
   * `now` is the caller's Date.now() (the pool reads the clock once per release).
   */
  give(conn: Connection<Raw>, now = Date.now()): void {
    const loans = this.internals._resourceLoans;
    const loan = loans.get(conn);
    if (loan === undefined) {
      // Not on loan: generic-pool's own release() rejects it, as before.
      void this.gp.release(conn);
      return;
    }
    const next = this.nextWaiter();
    if (next === undefined) {
      loans.delete(conn);
      loan.resolve();
      stampReturned(loan.pooledResource, now);
      // LIFO (fifo: false): generic-pool's _addPooledResourceToAvailableObjects unshifts.
      this.internals._availableObjects.unshift(loan.pooledResource);
      this.internals._dispense();
      return;
    }
    loan.resolve();
    loans.set(conn, { pooledResource: loan.pooledResource, resolve: loanSettled });
    stampLent(loan.pooledResource, now);
    next.resolve(conn);
    // As generic-pool's release would: open connections for the callers still waiting, if allowed.
    if (this.queue.length > 0) this.internals._dispense();
  }

  /** The first caller still waiting, taken out of the queue; gave-up requests are skipped. */
  private nextWaiter(): GenericPoolRequest | undefined {
    while (this.queue.length > 0) {
      const request = this.queue.dequeue() as GenericPoolRequest;
      if (request.state === 'PENDING') return request;
    }
    return undefined;
  }

  /** Destroys a borrowed connection; generic-pool tops the pool back up to min. */
  retire(conn: Connection<Raw>, reason: DestroyReason): void {
    conn.destroyReason = reason;
    void this.gp.destroy(conn);
  }

  /** Runs the evictor over the idle connections now. */
  evictIdle(): void {
    if (!this.internals._draining) this.internals._evict();
  }

  /** No more connections are opened, not even to keep min (the first step of close). */
  stopCreating(): void {
    this.internals._draining = true;
  }

  /** Nobody waits any more: the shared deadline timer, if still armed for served waiters, goes. */
  forgetServedDeadlines(): void {
    if (this.queue.length === 0) this.deadlines.forgetServed();
  }

  /** Rejects every waiter (on close). */
  rejectWaiters(reason: unknown): void {
    this.deadlines.clear();
    for (let request = this.queue.dequeue(); request; request = this.queue.dequeue()) {
      request.reject(reason);
    }
  }

  /**
   * Destroys every idle connection. Replaces generic-pool's clear(), which destroys them but
   * leaves them in the available list, to be handed out again.
   */
  async destroyIdle(reason: DestroyReason): Promise<void> {
    for (let resource = this.internals._availableObjects.shift(); resource; resource = this.internals._availableObjects.shift()) {
      resource.obj.destroyReason = reason;
      this.internals._destroy(resource);
    }
    await settled(this.internals._factoryDestroyOperations);
  }

  /**
   * Stops creating (also for min), waits for creates under way to settle, then destroys every idle
   * connection. Borrowed ones are the pool's to finish or retire first.
   */
  async shutdown(): Promise<void> {
    this.internals._draining = true;
    this.internals._descheduleEvictorRun();
    await settled(this.internals._factoryCreateOperations);
    await this.destroyIdle('drain');
  }
}

/**
 * What PooledResource.allocate() does, with the time given: generic-pool reads Date.now() in each of
 * allocate, deallocate and idle, three clock reads per loan that the pool has already made once.
 */
function stampLent(resource: PooledResource<unknown>, now: number): void {
  resource.lastBorrowTime = now;
  resource.state = 'ALLOCATED';
}

/** What PooledResource.deallocate() then idle() do on release, with the time given. */
function stampReturned(resource: PooledResource<unknown>, now: number): void {
  resource.lastReturnTime = now;
  resource.lastIdleTime = now;
  resource.state = 'IDLE';
}

/**
 * A caller waiting in the queue: generic-pool's Deferred (its state strings, which its dispatch and
 * the deadline tracker read; resolve and reject settle it once), without ResourceRequest's timeout.
 */
class WaitRequest<T> implements GenericPoolRequest {
  state = 'PENDING';
  readonly promise: Promise<T>;
  private settle!: (value: T) => void;
  private fail!: (reason: unknown) => void;

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }

  resolve(value: unknown): void {
    if (this.state !== 'PENDING') return;
    this.state = 'FULFILLED';
    this.settle(value as T);
  }

  reject(reason: unknown): void {
    if (this.state !== 'PENDING') return;
    this.state = 'REJECTED';
    this.fail(reason);
  }
}

/** generic-pool resolves a loan's promise on release; nothing here waits on it. */
function loanSettled(): void {}

async function settled(operations: Set<Promise<unknown>>): Promise<void> {
  await Promise.all([...operations].map((op) => op.catch(() => undefined)));
}
