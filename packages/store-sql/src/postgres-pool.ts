import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * A Kysely pool over a `pg` pool that survives the server dropping connections (a restart, a
 * failover, `pg_terminate_backend`):
 * - every client gets an 'error' listener when it connects, idle or checked out, since an
 *   unhandled 'error' event would kill the process (the `pg` pool listens on idle clients only);
 * - a client that failed is destroyed when Kysely releases it, instead of going back to the pool
 *   to fail the next query too (Kysely releases clients without saying whether they broke).
 */
export function resilientPool(owned: pg.Pool): PostgresPool {
  const broken = new WeakSet<object>();
  owned.on('error', () => {});
  owned.on('connect', (client) => {
    client.on('error', () => broken.add(client));
    client.on('end', () => broken.add(client));
  });
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await owned.connect();
      const release = client.release.bind(client);
      const failed = () => {
        const state = client as unknown as { _ending?: boolean; _queryable?: boolean };
        return broken.has(client) || state._ending === true || state._queryable === false;
      };
      client.release = (destroy?: Error | boolean) =>
        release(destroy ?? (failed() ? true : undefined));
      return client;
    },
    end: () => owned.end(),
  };
}
