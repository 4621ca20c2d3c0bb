import { PlaytallyError } from '@playtally/core';
import { errorFields, type Logger, silentLogger, sleepUnlessAborted } from '@playtally/transport';
import { isDatabaseUnavailable } from '../errors.js';

/** Options of {@link createDatabaseGate}. */
export interface DatabaseGateOptions {
  /** Resolves when the database answers again (the stores' `ping`). */
  probe: () => Promise<unknown>;
  /** Time between probes while the database is away. @default 1000 */
  probeIntervalMs?: number;
  /** @default silentLogger */
  logger?: Logger;
}

/**
 * Holds work while the database is away. Workers run their store calls through it: a call that
 * fails because the database is unavailable waits until a probe succeeds and then runs again,
 * so a task neither fails nor burns a delivery attempt over an outage. Since a worker takes no
 * more tasks than its concurrency, waiting tasks pause its consumption until the database is
 * back.
 */
export interface DatabaseGate {
  /**
   * Runs `operation`, again after each outage, until it succeeds, fails for another reason, or
   * `signal` aborts (then it rejects with `ABORTED`). Use it only for operations that are safe to
   * run twice.
   */
  run<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** False while an outage is known and not over. */
  readonly available: boolean;
}

/**
 * Creates a {@link DatabaseGate}; one per process is enough, shared by its workers.
 *
 * @example
 * ```ts
 * const gate = createDatabaseGate({ probe: () => stores.ping() });
 * const job = await gate.run(() => jobs.get(id));
 * ```
 */
export function createDatabaseGate(options: DatabaseGateOptions): DatabaseGate {
  const logger = options.logger ?? silentLogger;
  const interval = options.probeIntervalMs ?? 1000;
  let outage: Promise<void> | undefined;
  const never = new AbortController().signal;

  const waitForDatabase = (cause: unknown): Promise<void> => {
    outage ??= (async () => {
      logger.warn(errorFields(cause), 'database unavailable: pausing work until it is back');
      const started = Date.now();
      for (;;) {
        await sleepUnlessAborted(interval, never);
        try {
          await options.probe();
          break;
        } catch {
          // still away
        }
      }
      logger.info({ downMs: Date.now() - started }, 'database is back: resuming work');
      outage = undefined;
    })();
    return outage;
  };

  return {
    get available() {
      return outage === undefined;
    },
    async run(operation, signal) {
      for (;;) {
        if (outage !== undefined) await abortable(outage, signal);
        try {
          return await operation();
        } catch (error) {
          if (!isDatabaseUnavailable(error)) throw error;
          await abortable(waitForDatabase(error), signal);
        }
      }
    },
  };
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function aborted(signal: AbortSignal): PlaytallyError {
  return new PlaytallyError('ABORTED', 'stopped while waiting for the database', {
    cause: signal.reason,
  });
}
