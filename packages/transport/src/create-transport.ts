import { PlaytallyError } from '@playtally/core';
import { loadAdapter } from './import-adapter.js';
import type { Logger } from './logger.js';
import { createMemoryTransport, type MemoryTransportOptions } from './memory/memory-transport.js';
import { redactUrl } from './redact-url.js';
import type { Transport } from './transport.js';

/** Options of {@link createTransport}. */
export interface CreateTransportOptions {
  /**
   * Loads an adapter package by name. Pass `(specifier) => import(specifier)` from your
   * application: with pnpm's strict layout only the application, not `@playtally/core`, can
   * resolve the adapter packages it depends on. Without it, core tries its own `import()` and
   * then the `node_modules` folders above the working directory.
   */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Options for `memory://`. */
  memory?: MemoryTransportOptions;
  /**
   * Where the adapter logs (connection trouble, its client library's own lines): pino or any
   * {@link Logger}. @default silentLogger
   */
  logger?: Logger;
}

interface AdapterEntry {
  readonly packageName: string;
  readonly factory: string;
  readonly options: (url: string) => Record<string, unknown>;
}

const ADAPTERS: Readonly<Record<string, AdapterEntry>> = {
  'amqp:': {
    packageName: '@playtally/transport-amqp',
    factory: 'createAmqpTransport',
    options: (url) => ({ url }),
  },
  'amqps:': {
    packageName: '@playtally/transport-amqp',
    factory: 'createAmqpTransport',
    options: (url) => ({ url }),
  },
  'redis:': {
    packageName: '@playtally/transport-redis',
    factory: 'createRedisTransport',
    options: (url) => ({ url }),
  },
  'rediss:': {
    packageName: '@playtally/transport-redis',
    factory: 'createRedisTransport',
    options: (url) => ({ url }),
  },
  'kafka:': {
    packageName: '@playtally/transport-kafka',
    factory: 'createKafkaTransport',
    options: (url) => ({ brokers: kafkaBrokers(url) }),
  },
};

/** URL schemes {@link createTransport} understands. */
export const TRANSPORT_SCHEMES = ['memory:', ...Object.keys(ADAPTERS)] as const;

/**
 * Creates the transport a URL names, so choosing a broker is configuration (`TRANSPORT_URL`):
 * `memory://` (in-process), `amqp://user:pass@host:5672/vhost` or `amqps://…` (RabbitMQ via
 * `@playtally/transport-amqp`), `redis://…` or `rediss://…` (Redis Streams via
 * `@playtally/transport-redis`), `kafka://host:9092[,host2:9092]` (via `@playtally/transport-kafka`).
 * Adapter packages are loaded on demand and never depended on by core; a missing one fails
 * with `ADAPTER_NOT_INSTALLED` naming the package to add, an unknown scheme with
 * `UNKNOWN_TRANSPORT`. Passwords in the URL never appear in error messages.
 *
 * @example
 * ```ts
 * import { createTransport } from '@playtally/core';
 * const transport = await createTransport(process.env.TRANSPORT_URL ?? 'memory://', {
 *   importModule: (specifier) => import(specifier),
 * });
 * ```
 */
export async function createTransport(
  url: string,
  options: CreateTransportOptions = {},
): Promise<Transport> {
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(url.trim())?.[1]?.toLowerCase();
  if (scheme === 'memory:') return createMemoryTransport(options.memory);
  const adapter = scheme === undefined ? undefined : ADAPTERS[scheme];
  if (adapter === undefined) {
    throw new PlaytallyError(
      'UNKNOWN_TRANSPORT',
      `TRANSPORT_URL ${redactUrl(url)} names no known transport; supported schemes: ${TRANSPORT_SCHEMES.map((s) => `${s}//`).join(', ')}`,
      { details: { url: redactUrl(url), supported: [...TRANSPORT_SCHEMES] } },
    );
  }
  const module = await loadAdapter(adapter.packageName, url, options.importModule);
  const factory = module[adapter.factory];
  if (typeof factory !== 'function') {
    throw new PlaytallyError(
      'ADAPTER_NOT_INSTALLED',
      `${adapter.packageName} does not export ${adapter.factory}; is an incompatible version installed?`,
      { details: { package: adapter.packageName } },
    );
  }
  const adapterOptions = adapter.options(url.trim());
  return (await factory(
    options.logger ? { ...adapterOptions, logger: options.logger } : adapterOptions,
  )) as Transport;
}

function kafkaBrokers(url: string): string[] {
  const rest = url.trim().replace(/^kafka:\/\//i, '');
  if (rest.includes('@')) {
    throw new PlaytallyError(
      'CONFIG_INVALID',
      `TRANSPORT_URL ${redactUrl(url)}: kafka:// URLs list brokers only; configure SASL with createKafkaTransport`,
    );
  }
  const brokers = (rest.split(/[/?#]/)[0] ?? '')
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  if (brokers.length === 0) {
    throw new PlaytallyError(
      'CONFIG_INVALID',
      `TRANSPORT_URL ${url} names no Kafka broker (kafka://host:9092)`,
    );
  }
  return brokers;
}
