import type { Redis } from 'ioredis';
import { closeConnection } from './redis-reply.js';

/**
 * A subscription's own connection for blocking reads (XREADGROUP/XREAD … BLOCK), which would
 * stall every other command sharing it. `interrupt()` ends a blocked read at once with
 * `CLIENT UNBLOCK`, sent over the shared command connection, so closing never waits out the
 * block time; if the read does not return promptly the connection is dropped instead.
 */
export class BlockingReader {
  private clientId: number | undefined;
  private reading: Promise<unknown> | undefined;

  private constructor(
    private readonly connection: Redis,
    private readonly commands: Redis,
  ) {
    connection.on('ready', () => void this.refreshClientId().catch(() => {}));
  }

  /** Wraps `connection` (which must be this reader's alone) and learns its client id. */
  static async open(connection: Redis, commands: Redis): Promise<BlockingReader> {
    const reader = new BlockingReader(connection, commands);
    await reader.refreshClientId();
    return reader;
  }

  /** Runs a (blocking) command with Buffer replies. */
  async read(command: string, ...args: (string | number)[]): Promise<unknown> {
    const reading = this.connection.callBuffer(command, ...args);
    this.reading = reading;
    try {
      return await reading;
    } finally {
      if (this.reading === reading) this.reading = undefined;
    }
  }

  /** Runs a non-blocking command with string replies on this connection. */
  call(command: string, ...args: (string | number)[]): Promise<unknown> {
    return this.connection.call(command, ...args);
  }

  async interrupt(): Promise<void> {
    const reading = this.reading;
    if (reading === undefined) return;
    if (this.clientId !== undefined) {
      await this.commands.call('CLIENT', 'UNBLOCK', this.clientId).catch(() => {});
    }
    const returned = await Promise.race([
      reading.then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    if (!returned) this.connection.disconnect();
  }

  close(): Promise<void> {
    return closeConnection(this.connection);
  }

  private async refreshClientId(): Promise<void> {
    this.clientId = Number(await this.connection.call('CLIENT', 'ID'));
  }
}
