import { startDeadline, stopDeadline } from '../shared/deadline';

/**
 * One writer at a time per embedded SQLite file. SQLite allows a single writer; with a synchronous
 * driver a second writer does not wait politely, it blocks the event loop in busy_timeout while the
 * first writer (which needs the event loop to finish) cannot run: the wait ends in SQLITE_BUSY.
 * Writes queue here instead, in order, while reads go on in parallel on other connections.
 *
 * Lanes are per process and per file path, so two pools on one file share a lane.
 */
const lanes = new Map<string, WriterLane>();

export function writerLaneFor(key: string): WriterLane {
  let lane = lanes.get(key);
  if (!lane) {
    lane = new WriterLane();
    lanes.set(key, lane);
  }
  return lane;
}

export class WriterLane {
  private busy = false;
  private readonly waiting: Array<{ resolve: () => void; reject: (e: unknown) => void; settled: boolean }> = [];

  get queued(): number {
    return this.waiting.length;
  }

  /** Waits for the lane; resolves with the function that hands it to the next writer. */
  enter(timeoutMs: number, onTimeout: () => Error, signal?: AbortSignal): Promise<() => void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.leaveOnce());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        settled: false,
        resolve: () => {
          entry.settled = true;
          cleanup();
          resolve(this.leaveOnce());
        },
        reject: (e: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          cleanup();
          const index = this.waiting.indexOf(entry);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(e);
        },
      };
      const deadline = startDeadline(timeoutMs, () => entry.reject(onTimeout()));
      const onAbort = () => entry.reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        stopDeadline(deadline);
        signal?.removeEventListener('abort', onAbort);
      };
      this.waiting.push(entry);
    });
  }

  private leaveOnce(): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.waiting.shift();
      if (next) next.resolve();
      else this.busy = false;
    };
  }
}

/**
 * Whether a statement only reads. Conservative: anything not recognised as a read is a write and
 * takes the lane, which costs a little concurrency but never a SQLITE_BUSY.
 */
export function isReadOnlySql(sql: string): boolean {
  const text = sql.replace(/^(\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)+/, '');
  const keyword = /^[A-Za-z]+/.exec(text)?.[0]?.toUpperCase();
  if (keyword === 'SELECT' || keyword === 'VALUES' || keyword === 'EXPLAIN') return true;
  if (keyword === 'WITH') return !/\b(INSERT|UPDATE|DELETE|REPLACE)\b/i.test(text);
  if (keyword === 'PRAGMA') return !text.includes('=');
  return false;
}
