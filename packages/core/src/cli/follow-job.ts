import { FINAL_STATUSES, type RemoteJob, type ServerClient } from './server-client.js';

/** The part of the WHATWG `WebSocket` the CLI uses (global from Node 22; not on Node 20). */
interface EventSocket {
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}
type EventSocketConstructor = new (url: string) => EventSocket;

/** How {@link followJob} learns about the job. */
export type FollowMethod = 'websocket' | 'polling';

/** Options of {@link followJob}. */
export interface FollowJobOptions {
  /** Every state of the job seen, in order. */
  onUpdate(job: RemoteJob): void;
  /** Told once which way the job is followed (and again if the WebSocket falls back to polling). */
  onMethod?(method: FollowMethod): void;
  readonly signal?: AbortSignal;
  /** Time between two reads when polling. @default 500 */
  readonly pollIntervalMs?: number;
  /**
   * The WebSocket implementation. @default `globalThis.WebSocket` when the runtime has one
   * (Node 22+, or Node 20 with `--experimental-websocket`); without one the job is polled.
   */
  readonly webSocket?: EventSocketConstructor | undefined;
}

/** While following live, the job is still read this often, in case an event was missed. */
const SAFETY_POLL_MS = 5_000;

/**
 * Follows a job until it is final: live over the server's event WebSocket when the runtime
 * has a `WebSocket`, by polling `GET /v1/jobs/:id` otherwise (or once the socket fails).
 * Resolves with the final job; rejects when `signal` aborts or the server cannot be read.
 */
export async function followJob(
  client: ServerClient,
  id: string,
  options: FollowJobOptions,
): Promise<RemoteJob> {
  const WebSocketImpl =
    'webSocket' in options
      ? options.webSocket
      : (globalThis as { WebSocket?: EventSocketConstructor }).WebSocket;
  if (WebSocketImpl) {
    const live = await followLive(client, id, WebSocketImpl, options);
    if (live) return live;
  }
  options.onMethod?.('polling');
  return poll(client, id, options, options.pollIntervalMs ?? 500);
}

/** Resolves with the final job, or `undefined` when the socket could not be used. */
function followLive(
  client: ServerClient,
  id: string,
  WebSocketImpl: EventSocketConstructor,
  options: FollowJobOptions,
): Promise<RemoteJob | undefined> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let safety: ReturnType<typeof setInterval> | undefined;
    const socket = new WebSocketImpl(client.eventsUrl());
    const finish = (outcome: { job?: RemoteJob; error?: unknown }) => {
      if (settled) return;
      settled = true;
      clearInterval(safety);
      options.signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (outcome.error !== undefined) reject(outcome.error);
      else resolve(outcome.job);
    };
    const seen = (job: RemoteJob) => {
      if (settled) return;
      options.onUpdate(job);
      if (FINAL_STATUSES.has(job.status)) finish({ job });
    };
    const read = () =>
      client.job(id, options.signal).then(seen, (error: unknown) => finish({ error }));
    const onAbort = () => finish({ error: options.signal?.reason });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.addEventListener('open', () => {
      options.onMethod?.('websocket');
      // The job may have moved (or finished) before the socket was listening.
      void read();
      safety = setInterval(read, SAFETY_POLL_MS);
    });
    socket.addEventListener('message', (event) => {
      const data = parseEvent(event.data);
      if (data?.subject === id && data.job) seen(data.job);
    });
    // Before it opened: no live events here (an old server, a proxy): poll instead. After: the
    // connection dropped; polling takes over from where the job is.
    socket.addEventListener('error', () => finish({}));
    socket.addEventListener('close', () => finish({}));
  });
}

async function poll(
  client: ServerClient,
  id: string,
  options: FollowJobOptions,
  intervalMs: number,
): Promise<RemoteJob> {
  for (;;) {
    const job = await client.job(id, options.signal);
    options.onUpdate(job);
    if (FINAL_STATUSES.has(job.status)) return job;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(options.signal?.reason);
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, intervalMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function parseEvent(data: unknown): { subject?: string; job?: RemoteJob } | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const event = JSON.parse(data) as { subject?: string; data?: { job?: RemoteJob } };
    return {
      ...(event.subject ? { subject: event.subject } : {}),
      ...(event.data?.job ? { job: event.data.job } : {}),
    };
  } catch {
    return undefined;
  }
}
