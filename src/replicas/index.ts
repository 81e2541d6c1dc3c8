/**
 * src/replicas/ — read replicas: one pool per replica URL, health-checked on a timer and taken out
 * and put back (replica-set.ts), and the reader that sends each read to the least-busy healthy one,
 * falling back to the primary (reader.ts). It reaches pools only through the interfaces pool/
 * declares in read-routing.ts; the pool reaches it only through the router installed here.
 */
import type { ReadRouter, ReadRouterFactory, ReadRouterSetup, RoutedPool } from '../pool/read-routing';
import { ReplicaReader } from './reader';
import { ReplicaSet } from './replica-set';

/** The read router of a pool with readReplicaUrls: its replica set and the reader over it. */
export const createReplicaRouter: ReadRouterFactory = <P extends RoutedPool>(setup: ReadRouterSetup<P>): ReadRouter<P> => {
  const replicas = new ReplicaSet<P>(setup.primary, setup.options, setup.makePool, setup.logger);
  return {
    reader: new ReplicaReader(setup.primary, replicas),
    get pools() {
      return replicas.members.map((replica) => replica.pool);
    },
    stats: () => replicas.stats(),
    close: (opts) => replicas.close(opts),
  };
};
