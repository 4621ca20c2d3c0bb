import { PlaytallyError } from '@playtally/service';

/** The database client packages store-sql loads on demand, and the URLs that need each. */
const DRIVERS = {
  'better-sqlite3': 'a sqlite: DATABASE_URL',
  pg: 'a postgres: DATABASE_URL',
} as const;

/**
 * Imports a database client only when a database of its kind is opened, so that a PostgreSQL
 * deployment never needs SQLite's native addon compiled, and the other way round. Both are
 * optional peer dependencies of `@playtally/store-sql`. A missing one rejects with
 * `ADAPTER_NOT_INSTALLED`, naming the package to install.
 */
export async function importDriver<T>(name: keyof typeof DRIVERS): Promise<T> {
  try {
    const module = (await import(name)) as { default: T };
    return module.default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new PlaytallyError(
      'ADAPTER_NOT_INSTALLED',
      `${DRIVERS[name]} needs the "${name}" package: install it next to @playtally/store-sql (npm install ${name})`,
      { cause: error, details: { package: name } },
    );
  }
}
