import { onAbort } from '../shared/abort-listeners';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startDeadline, stopDeadline } from '../shared/deadline';

/**
 * One writer at a time per embedded SQLite file. SQLite allows a single writer; with a synchronous
 * driver a second writer does not wait politely, it blocks the event loop in busy_timeout while the
 * first writer (which needs the event loop to finish) cannot run: the wait ends in SQLITE_BUSY.
 * Writes queue here instead, in order, while reads go on in parallel on other connections.
 *
 * Lanes are per process and per real file path, so two pools on one file share a lane however
 * they name it (a relative path, a symlinked directory).
 */
const lanes = new Map<string, WriterLane>();

export function writerLaneFor(file: string): WriterLane {
  const key = realFilePath(file);
  let lane = lanes.get(key);
  if (!lane) {
    lane = new WriterLane(key);
    lanes.set(key, lane);
  }
  return lane;
}

/**
 * The file's real path: symlinks resolved in the file itself when it exists, else in its
 * directory (a file not created yet is reached through its directory, and will be that file).
 */
export function realFilePath(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(absolute)), path.basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** Who holds a lane: what the timeout error of the next writer tells. */
export interface LaneHolder {
  readonly poolName: string;
  /** Set once the holder has its connection (pool.query and transaction() take the lane first). */
  connectionId: number | undefined;
  /** Date.now() when the lane was taken. */
  since: number;
  /** The holder's acquire stack, when leak detection records one. */
  acquiredBy: string | undefined;
}

interface Waiter {
  readonly holder: LaneHolder;
  grant(): void;
  reject(err: unknown): void;
}

/** Hands the lane to the next writer; idempotent, so every exit path may call it. */
export type LeaveLane = () => void;

/**
 * A connection's turn in its file's writer lane. `untilRelease`: taken for a whole loan
 * (transaction(), pool.query) rather than by a lease's statement, so it is kept to the end of the
 * loan whatever the driver says about transactions.
 */
export interface LaneHold {
  readonly lane: WriterLane;
  readonly leave: LeaveLane;
  readonly untilRelease: boolean;
}

export class WriterLane {
  private holder: LaneHolder | undefined;
  private readonly waiting: Waiter[] = [];

  constructor(readonly key: string) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** The current holder, or undefined when the lane is free. */
  get heldBy(): LaneHolder | undefined {
    return this.holder;
  }

  /**
   * Waits for the lane; resolves with the function that hands it to the next writer. An
   * already-aborted signal rejects at once, even when the lane is free: the caller gave up.
   * Past timeoutMs (0: no limit) it rejects with onTimeout(holder at that moment).
   */
  enter(holder: LaneHolder, timeoutMs: number, onTimeout: (heldBy: LaneHolder | undefined) => Error, signal?: AbortSignal): Promise<LeaveLane> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.holder === undefined) {
      this.take(holder);
      return Promise.resolve(this.leaveOnce());
    }
    return new Promise<LeaveLane>((resolve, reject) => {
      let settled = false;
      const settle = () => {
        settled = true;
        stopDeadline(deadline);
        stopListening?.();
      };
      const waiter: Waiter = {
        holder,
        grant: () => {
          settle();
          this.take(holder);
          resolve(this.leaveOnce());
        },
        reject: (err) => {
          if (settled) return;
          settle();
          const index = this.waiting.indexOf(waiter);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(err);
        },
      };
      const deadline = startDeadline(timeoutMs, () => waiter.reject(onTimeout(this.holder)));
      const stopListening = signal === undefined ? undefined : onAbort(signal, () => waiter.reject(signal.reason));
      this.waiting.push(waiter);
    });
  }

  private take(holder: LaneHolder): void {
    holder.since = Date.now();
    this.holder = holder;
  }

  private leaveOnce(): LeaveLane {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.holder = undefined;
      this.waiting.shift()?.grant();
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
