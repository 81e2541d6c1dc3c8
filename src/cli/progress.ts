/**
 * Progress of a timed run on stderr (stdout stays the report, so `--json` output is clean): a live
 * bar on a terminal, a plain line every few seconds in a log or a pipe.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { LoadProgress } from './load';

export interface ProgressDisplay {
  update(progress: LoadProgress): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 2000;

export function progressDisplay(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  if (stream.isTTY) return barDisplay(label, stream);
  let lastPrintedMs = 0;
  let finished = false;
  return {
    update(progress) {
      const done = progress.elapsedMs >= progress.durationMs;
      // The last tick and the final report can both arrive at the end: print the end once.
      if (finished || (!done && progress.elapsedMs - lastPrintedMs < PLAIN_EVERY_MS)) return;
      finished = done;
      lastPrintedMs = progress.elapsedMs;
      stream.write(`${label}: ${(progress.elapsedMs / 1000).toFixed(1)}/${(progress.durationMs / 1000).toFixed(1)} s, ${progress.operations} operations, ${progress.errors} errors\n`);
    },
    stop: () => undefined,
  };
}

function barDisplay(label: string, stream: NodeJS.WriteStream): ProgressDisplay {
  const bar = new SingleBar(
    { format: `${label} {bar} {percentage}% | {seconds} s | {operations} ops | {rate}/s | {errors} errors`, stream, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const payload = {
        seconds: (progress.elapsedMs / 1000).toFixed(1),
        operations: progress.operations,
        rate: progress.elapsedMs > 0 ? Math.round(progress.operations / (progress.elapsedMs / 1000)) : 0,
        errors: progress.errors,
      };
      if (!started) {
        bar.start(progress.durationMs, 0, payload);
        started = true;
      }
      bar.update(Math.round(progress.elapsedMs), payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
