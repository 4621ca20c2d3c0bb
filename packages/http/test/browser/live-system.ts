import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import {
  type BlobStore,
  createFsBlobStore,
  createJobWorker,
  createMemoryJobStore,
  createMemoryMessageStore,
  createMessageConsumer,
  createWorkerPresence,
  type MessageConsumer,
  UnrecoverableError,
} from '@playtally/service';
import { createMemoryTransport } from '@playtally/transport';
import { createApp } from '../../src/index.js';

/** The whole system running in this process, served on a loopback port. */
export interface LiveSystem {
  /** e.g. `http://127.0.0.1:43567` */
  readonly origin: string;
  /**
   * While `true`, WebSocket upgrades are refused (as during a server restart); `dropEvents`
   * cuts the open ones.
   */
  refuseEvents(refuse: boolean): void;
  /** Closes every open events WebSocket abruptly. */
  dropEvents(): void;
  /**
   * While above 0, blobs are read slowly (64 KiB every `delayMs`), as from a slow disk, so a
   * job runs long enough to report progress along the way or to be cancelled.
   */
  slowReads(delayMs: number): void;
  /** While `true`, the message consumer refuses messages with `"refuse": true` (dead-lettered at once). */
  refuseMessages(refuse: boolean): void;
  /** Stops the message consumer (messages pile up in the queue) until {@link resumeConsumer}. */
  pauseConsumer(): Promise<void>;
  resumeConsumer(): Promise<void>;
  stop(): Promise<void>;
}

/** Options of {@link startLiveSystem}. */
export interface LiveSystemOptions {
  /** Require this API key. @default undefined */
  apiKey?: string;
  /** Split uploads larger than this into parts (see `JobServiceOptions.splitBytes`). @default 128 MiB */
  splitBytes?: number;
}

type UpgradeListener = (request: IncomingMessage, socket: Socket, head: Buffer) => void;

/**
 * Starts the real system in-process: the API (createApp) and a job worker and message consumer
 * on the embedded default (memory transport and stores, blobs on disk in a temp dir), served by
 * @hono/node-server with the events WebSocket attached.
 */
export async function startLiveSystem(options: LiveSystemOptions = {}): Promise<LiveSystem> {
  const dir = await mkdtemp(join(tmpdir(), 'playtally-browser-'));
  const transport = createMemoryTransport();
  const jobs = createMemoryJobStore();
  const messages = createMemoryMessageStore();
  const fsBlobs = createFsBlobStore({ directory: join(dir, 'blobs') });
  let slowDelayMs = 0;
  const blobs: BlobStore = {
    put: (source, putOptions) => fsBlobs.put(source, putOptions),
    read: async (key, range) =>
      slowDelayMs > 0
        ? trickle(await fsBlobs.read(key, range), slowDelayMs)
        : fsBlobs.read(key, range),
    stat: (key) => fsBlobs.stat(key),
    delete: (key) => fsBlobs.delete(key),
  };
  const api = createApp({
    jobs,
    messages,
    blobs,
    transport,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.splitBytes === undefined ? {} : { splitBytes: options.splitBytes }),
  });
  await api.start();
  const worker = createJobWorker({ jobs, blobs, transport, tempDir: dir });
  await worker.start();
  const startConsumer = async () => {
    const started = createMessageConsumer({
      messages,
      transport,
      handler: async (message) => {
        if (refusingMessages && message.data.refuse === true)
          throw new UnrecoverableError('refused: this message asks to be refused');
      },
    });
    await started.start();
    return started;
  };
  let refusingMessages = false;
  let consumer: MessageConsumer | undefined = await startConsumer();
  // The worker announces itself, so the page's System view has one to show.
  const presence = createWorkerPresence({
    transport,
    concurrency: 2,
    heartbeatMs: 500,
    version: '0.1.0',
    activity: () => ({
      activeJobs: worker.running(),
      jobs: worker.stats(),
      messages: consumer?.stats() ?? { processed: 0, failed: 0 },
    }),
  });
  await presence.start();

  const server = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  if (!server.listening) await once(server, 'listening');

  // The WebSocket upgrade handler goes through a gate, so tests can cut and refuse the events
  // connection as a network failure or a restarting server would.
  let upgrade: UpgradeListener | undefined;
  const shim = {
    on(event: string, listener: UpgradeListener) {
      if (event === 'upgrade') upgrade = listener;
      return shim;
    },
  };
  api.injectWebSocket(shim as unknown as Server);
  let refusing = false;
  const upgraded = new Set<Socket>();
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    if (refusing || !upgrade) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    upgrade(request, socket, head);
  });

  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    refuseEvents(refuse) {
      refusing = refuse;
    },
    slowReads(delayMs) {
      slowDelayMs = delayMs;
    },
    refuseMessages(refuse) {
      refusingMessages = refuse;
    },
    async pauseConsumer() {
      await consumer?.close();
      consumer = undefined;
    },
    async resumeConsumer() {
      consumer ??= await startConsumer();
    },
    dropEvents() {
      for (const socket of upgraded) socket.destroy();
    },
    async stop() {
      for (const socket of upgraded) socket.destroy();
      await api.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await presence.close();
      await worker.close();
      await consumer?.close();
      await transport.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Re-emits `source` in 64 KiB pieces, `delayMs` apart. */
function trickle(source: Readable, delayMs: number): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; at += 65_536) {
          yield chunk.subarray(at, at + 65_536);
          await sleep(delayMs);
        }
      }
    })(),
  );
}
