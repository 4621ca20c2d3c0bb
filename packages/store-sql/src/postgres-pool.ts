import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/** Server errors after which a connection is gone (admin or crash shutdown, connection failure). */
const FATAL = /^(57P0[123]|08)/;

/**
 * A Kysely pool over a `pg` pool that survives the server dropping connections (a restart, a
 * failover, `pg_terminate_backend`):
 * - every client gets an 'error' listener when it connects, idle or checked out, since an
 *   unhandled 'error' event would kill the process (the `pg` pool listens on idle clients only);
 * - a client whose query failed with a connection-fatal error, or that emitted 'error' or
 *   'end', is destroyed when Kysely releases it instead of going back to the pool to fail the
 *   next query too (Kysely releases clients without saying whether they broke; the socket's
 *   end may arrive only after the release).
 */
export function resilientPool(owned: pg.Pool): PostgresPool {
  const broken = new WeakSet<object>();
  owned.on('error', () => {});
  owned.on('connect', (client) => {
    client.on('error', () => broken.add(client));
    client.on('end', () => broken.add(client));
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const result = query(...args);
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          const code = String((error as { code?: unknown } | undefined)?.code ?? '');
          const message = error instanceof Error ? error.message : '';
          if (FATAL.test(code) || /connection terminated|not queryable/i.test(message)) {
            broken.add(client);
          }
        });
      }
      return result;
    };
  });
  return {
    async connect(): Promise<PostgresPoolClient> {
      for (;;) {
        const client = await owned.connect();
        const release = client.release.bind(client);
        const failed = () => {
          const state = client as unknown as { _ending?: boolean; _queryable?: boolean };
          return broken.has(client) || state._ending === true || state._queryable === false;
        };
        if (failed()) {
          release(true);
          continue;
        }
        client.release = (destroy?: Error | boolean) =>
          release(destroy ?? (failed() ? true : undefined));
        return client;
      }
    },
    end: () => owned.end(),
  };
}
