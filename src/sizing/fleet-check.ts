import type { Adapter } from '../../adapters/contract';
import type { Logger, ResolvedConfig } from '../config/types';
import { withDeadline } from '../shared/deadline';
import { messageOf } from '../shared/message-of';
import { fleetBudget, fleetWarning } from './sizing';

/** The server question must not hold up the first caller for long; past this, no answer, no warning. */
const SERVER_INFO_TIMEOUT_MS = 2000;

/**
 * Once per pool, on its first connection: asks the server for max_connections (the adapter's
 * serverInfo) and logs ONE warning when `max × instances` plus the reserved connections would not
 * fit. Never an error and never repeated: sizing is the operator's decision, and a pool that works
 * today must keep working. A server that cannot answer is noted at debug level and left alone.
 */
export class FleetCheck {
  private checked = false;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly adapter: Adapter<unknown>,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs on a connection just opened, alongside its first caller: pg and mysql2 queue commands on
   * one connection, so the caller's query waits at most one round trip behind it. Never throws.
   */
  async afterConnect(raw: unknown): Promise<void> {
    if (this.checked || this.adapter.serverInfo === undefined) return;
    this.checked = true;
    const { name, max, instances } = this.config;
    try {
      const info = await withDeadline(this.adapter.serverInfo(raw), SERVER_INFO_TIMEOUT_MS, () => undefined);
      if (info?.maxConnections === undefined) return;
      const budget = fleetBudget({ serverMaxConnections: info.maxConnections, instances, database: this.adapter.name });
      const warning = fleetWarning(max, budget);
      if (warning === undefined) return;
      this.logger.warn(
        { pool: name, max, instances, serverMaxConnections: budget.serverMaxConnections, reservedConnections: budget.reservedConnections, perInstance: budget.perInstance },
        `lifeguard: ${warning}`,
      );
    } catch (err) {
      this.logger.debug({ pool: name, err: messageOf(err) }, 'lifeguard: could not read max_connections; fleet sizing not checked');
    }
  }
}
