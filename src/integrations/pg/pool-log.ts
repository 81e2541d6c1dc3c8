import type { DestroyReason } from '../../pool/connection';
import type { Pool } from '../../pool/pool';
import type { PgLogFunction } from './options';

/** pg-pool's words for why a client goes, where lifeguard has the same reason. */
const REMOVED: Partial<Record<DestroyReason, string>> = {
  idle: 'remove idle client',
  maxUses: 'remove expended client',
  lifetime: 'remove expired client',
};

/**
 * pg-pool's `log` gets a line for each step of a client's life ('new client connected', 'remove
 * idle client', ...). lifeguard itself logs only what needs attention, so a user's log function
 * would hear nothing from a pool that works; these lines come from the pool's events, in pg-pool's
 * words where the step is the same, so what a user greps for keeps matching.
 */
export function forwardPoolLog(core: Pool, log: PgLogFunction): void {
  core.on('connect', (e) => log('new client connected', { connectionId: e.connectionId, durationMs: e.durationMs }));
  core.on('createError', (e) => log('client failed to connect', e.error));
  core.on('acquire', (e) => log('client acquired', { connectionId: e.connectionId, waitMs: e.waitMs }));
  core.on('release', (e) => log('client released', { connectionId: e.connectionId, useMs: e.useMs }));
  core.on('destroy', (e) => log(REMOVED[e.reason] ?? `remove client (${e.reason})`, { connectionId: e.connectionId, reason: e.reason }));
}
