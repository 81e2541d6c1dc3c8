import { startDeadline, stopDeadline, type Deadline } from '../../shared/deadline';
import type { QueuedRequest } from './waiter-queue';

interface Entry {
  request: QueuedRequest;
  startedAt: number;
  deadline: number;
}

/**
 * Acquire timeouts for every waiter of a pool on ONE timer, armed for the earliest deadline. A
 * timer per waiter costs a setTimeout and a clearTimeout on every contended acquire; waiters
 * mostly share the pool's timeout and arrive in order, so the earliest deadline is the oldest
 * waiter's and keeping the list sorted is an append. The one timer is a shared/deadline one; what
 * this class adds is the bookkeeping of many waiters on it, which a single bounded wait does not need.
 */
export class DeadlineTracker {
  private entries: Entry[] = [];
  private head = 0;
  private timer: Deadline;
  private armedFor = Infinity;

  constructor(private readonly expire: (request: QueuedRequest, waitedMs: number) => void) {}

  add(request: QueuedRequest, timeoutMs: number, now: number): void {
    this.dropServed();
    const entry = { request, startedAt: now, deadline: now + timeoutMs };
    const last = this.entries[this.entries.length - 1];
    if (this.entries.length === this.head || last.deadline <= entry.deadline) this.entries.push(entry);
    else {
      // A caller with a shorter timeoutMs than those before it: insert in order (rare).
      let at = this.entries.length;
      while (at > this.head && this.entries[at - 1].deadline > entry.deadline) at--;
      this.entries.splice(at, 0, entry);
    }
    if (entry.deadline < this.armedFor) this.arm(entry.deadline, now);
  }

  /**
   * Served waiters are dropped from the front as new ones arrive; waiters are mostly served in
   * order, so the list stays about as long as the queue instead of growing until the timer fires.
   */
  private dropServed(): void {
    while (this.head < this.entries.length && this.entries[this.head].request.state !== 'PENDING') this.head++;
    if (this.head === this.entries.length) {
      this.entries.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Stops the timer once no waiter it tracks is still waiting (the engine calls this when its queue
   * is empty). Served waiters are otherwise dropped lazily, and a timer left armed for them would
   * keep a process that has finished its work alive until their deadline, acquireTimeoutMs later.
   * While anyone waits the timer stays, and keeps the process alive: that caller gets its
   * POOL_TIMEOUT instead of a process that quietly exits under it.
   */
  forgetServed(): void {
    if (this.timer === undefined) return;
    this.dropServed();
    if (this.entries.length > 0) return;
    stopDeadline(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  /** Forgets every entry and the timer (on close). */
  clear(): void {
    stopDeadline(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.entries = [];
    this.head = 0;
  }

  private arm(deadline: number, now: number): void {
    stopDeadline(this.timer);
    this.armedFor = deadline;
    // At least 1 ms, as Node makes a 0 ms timer anyway: a deadline already passed fires at once.
    this.timer = startDeadline(Math.max(1, deadline - now), () => this.fire());
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      // Served or cancelled waiters are dropped here, lazily, when they reach the front.
      if (entry.request.state === 'PENDING') {
        if (entry.deadline > now) break;
        this.expire(entry.request, now - entry.startedAt);
      }
      this.head++;
    }
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
      return;
    }
    if (this.head > 1024) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.arm(this.entries[this.head].deadline, now);
  }
}
