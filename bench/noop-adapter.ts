import type { Adapter } from '../src';

/**
 * An adapter that does no I/O, so what a benchmark measures is the pool's own work. Each bench
 * registers it under its own name and scheme, as before it was shared.
 */
export function noopAdapter(name: string): Adapter<object> {
  return {
    name,
    connect: async () => ({}),
    validate: async () => undefined,
    query: async () => ({ rows: [], rowCount: 0 }),
    begin: async () => undefined,
    commit: async () => undefined,
    rollback: async () => undefined,
    close: async () => undefined,
    isBroken: () => false,
  };
}
