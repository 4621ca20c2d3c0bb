export * from './create-sql-stores.js';
export type * from './database.js';
export * from './database-url.js';
export * from './migrations.js';
export * from './postgres-stores.js';
export type { SqlDialectName, SqlStores, SqlStoresOptions } from './sql-stores.js';
export * from './sqlite-stores.js';
