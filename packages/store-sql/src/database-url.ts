import { PlaytallyError } from '@playtally/service';

/** Where a `DATABASE_URL` points, as {@link parseDatabaseUrl} reads it. */
export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly filename: string }
  | { readonly dialect: 'postgres'; readonly connectionString: string };

/**
 * Reads a database URL:
 * - `sqlite:./data/playtally.db`, `sqlite:/abs/path.db` (also `sqlite://…`) → a SQLite file,
 * - `sqlite::memory:` → a private in-memory SQLite database,
 * - `postgres://…` or `postgresql://…` → PostgreSQL.
 *
 * Rejects anything else with `CONFIG_INVALID`; the message shows the URL with its password
 * replaced by `***`.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    let filename = url.slice('sqlite:'.length);
    if (filename.startsWith('//')) filename = filename.slice(2);
    if (filename === '') {
      throw new PlaytallyError(
        'CONFIG_INVALID',
        `Database URL "${url}" names no SQLite file: use sqlite:./data/playtally.db or sqlite::memory:`,
        { details: { url } },
      );
    }
    return { dialect: 'sqlite', filename };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { dialect: 'postgres', connectionString: url };
  }
  const shown = redactDatabaseUrl(url);
  throw new PlaytallyError(
    'CONFIG_INVALID',
    `Unsupported database URL "${shown}": expected sqlite:<file>, sqlite::memory:, postgres:// or postgresql://`,
    { details: { url: shown, scheme } },
  );
}

/** `url` with any password replaced by `***`, safe for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, '$1:***@');
}
