import { connect } from 'node:net';

/**
 * Decides whether tests that need a real service run. Returns `true` when `probe` succeeds.
 * When it fails: with `REQUIRE_SERVICES=1` it throws (a missing service fails the run, never
 * skips it); otherwise it prints a line naming what is missing and returns `false`, so the
 * caller can `describe.skipIf(!available)`.
 *
 * @example
 * ```ts
 * const available = await requireService('Redis at 127.0.0.1:6379', () => probeTcp('127.0.0.1', 6379));
 * describe.skipIf(!available)('redis transport', () => { ... });
 * ```
 */
export async function requireService(
  name: string,
  probe: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env.REQUIRE_SERVICES === '1') {
      throw new Error(`${name} is required (REQUIRE_SERVICES=1) but unreachable: ${reason}`);
    }
    console.warn(`skipping tests that need ${name}: ${reason}`);
    return false;
  }
}

/** Resolves when a TCP connection to host:port opens within `timeoutMs`. */
export function probeTcp(host: string, port: number, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
