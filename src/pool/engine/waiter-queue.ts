/**
 * The queue of callers waiting for a connection, handed to generic-pool in place of its own
 * PriorityQueue. generic-pool's queue cannot remove a waiter: one whose caller gave up (timeout,
 * AbortSignal, close) stays queued, still counts as pending and still makes the pool open
 * connections for nobody. Owning the queue lets the engine remove a waiter the moment it leaves.
 *
 * Only the members generic-pool 3.9 calls are implemented: enqueue, dequeue, length, head, tail.
 */
export interface QueuedRequest {
  state: string;
  promise: Promise<unknown>;
  reject(reason: unknown): void;
}

export class WaiterQueue<T extends QueuedRequest = QueuedRequest> {
  private items: T[] = [];
  private start = 0;

  // generic-pool passes its priorityRange; lifeguard uses one priority.
  constructor(_priorityRange?: number) {}

  get length(): number {
    return this.items.length - this.start;
  }

  enqueue(request: T): void {
    this.items.push(request);
  }

  dequeue(): T | undefined {
    if (this.start >= this.items.length) return undefined;
    const request = this.items[this.start];
    this.items[this.start] = undefined as unknown as T;
    this.start++;
    // Compact now and then so the array does not grow without bound under steady traffic.
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return request;
  }

  get head(): T | undefined {
    return this.length > 0 ? this.items[this.start] : undefined;
  }

  get tail(): T | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Takes a waiter out of line; true when it was still queued. */
  remove(request: T): boolean {
    const index = this.items.indexOf(request, this.start);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }
}
