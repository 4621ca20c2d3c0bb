#!/usr/bin/env node
import { isPlaytallyError } from '@playtally/core';
import { pino } from 'pino';
import { loadConfig, parseMode } from './config.js';
import { startServer } from './server.js';

/** Signals closer together than this are one request to stop. */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * `node dist/main.js [all|api|worker]`: configuration from the environment (see README).
 *
 * Relative paths (`./data/...`) resolve against the directory the command was started from.
 * Run as `pnpm start` (pnpm runs package scripts inside the package folder), that is the
 * directory pnpm was invoked in, which pnpm passes as INIT_CWD; so `pnpm start` at the
 * repository root keeps its data in `<repo>/data`.
 */
async function main(): Promise<void> {
  if (process.env.npm_package_name === '@playtally/example-server' && process.env.INIT_CWD) {
    process.chdir(process.env.INIT_CWD);
  }
  let mode: ReturnType<typeof parseMode>;
  let config: ReturnType<typeof loadConfig>;
  try {
    mode = parseMode(process.argv[2]);
    config = loadConfig(process.env);
  } catch (error) {
    console.error(`playtally: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const logger = pino({ level: config.logLevel, base: { pid: process.pid, mode } });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(config, mode, logger);
  } catch (error) {
    // A PlaytallyError's message already says what failed and why, in one sentence; pino's
    // error serializer would append every cause's message to it again.
    if (isPlaytallyError(error)) {
      logger.fatal(
        { code: error.code, details: error.details },
        `could not start: ${error.message}`,
      );
    } else {
      logger.fatal({ err: error }, `could not start: ${String(error)}`);
    }
    process.exit(1);
  }

  let firstSignalAt: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      // Under `pnpm start`, one Ctrl-C arrives twice: from the terminal, and forwarded by pnpm
      // to the script it runs. Only a later signal means "stop waiting".
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    logger.info({ signal }, 'shutting down');
    // Past the shutdown timeout plus a margin, something is stuck: leave anyway.
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
