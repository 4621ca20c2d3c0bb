import type { CloudEvent } from '@playtally/transport';

/** The `ws` socket under Hono's WebSocket context (Node), as far as the fan-out uses it. */
export interface RawSocket {
  readonly bufferedAmount: number;
  send(data: Uint8Array, options: { binary: boolean }): void;
  terminate(): void;
  /** The TCP socket (`ws` keeps it here): corked while a client's frames of one turn are written. */
  readonly _socket?: { cork(): void; uncork(): void };
}

/** The `ws` socket of a Hono WebSocket context, when it is one. */
export function rawSocket(raw: unknown): RawSocket | undefined {
  const socket = raw as Partial<RawSocket> | undefined;
  return typeof socket?.send === 'function' && typeof socket.terminate === 'function'
    ? (socket as RawSocket)
    : undefined;
}

/**
 * Flushes are at least this far apart: under a stream of events, each client gets one write
 * per interval holding all of them (a flush when nothing was flushed for this long goes at once).
 */
const MIN_FLUSH_INTERVAL_MS = 10;

/** One client of {@link createEventFanOut}. */
export interface FanOutClient {
  /** Queues the event for this client; it is written with the others of this turn. */
  push(event: CloudEvent): void;
}

/**
 * Writes events to many WebSocket clients: each event is serialized once for all of them, and
 * a client's events of one turn of the event loop (of up to 10 ms under a stream of events) go
 * out in one write, its socket corked around them, not one system call per event. A client leaving more than `maxBufferedBytes`
 * unread is cut at once (`onSlow` is told): a close frame would queue behind what it has not
 * read.
 */
export function createEventFanOut(
  serialize: (event: CloudEvent) => string,
  maxBufferedBytes: number,
  minFlushIntervalMs = MIN_FLUSH_INTERVAL_MS,
) {
  const frames = new WeakMap<CloudEvent, Buffer>();
  const frameOf = (event: CloudEvent): Buffer => {
    let frame = frames.get(event);
    if (frame === undefined) {
      frame = Buffer.from(serialize(event));
      frames.set(event, frame);
    }
    return frame;
  };
  const dirty = new Map<RawSocket, { queue: Buffer[]; onSlow: (buffered: number) => void }>();
  let scheduled = false;
  let flushedAt = Number.NEGATIVE_INFINITY;

  const flush = (): void => {
    scheduled = false;
    flushedAt = performance.now();
    const clients = [...dirty];
    dirty.clear();
    for (const [raw, { queue, onSlow }] of clients) {
      if (raw.bufferedAmount > maxBufferedBytes) {
        onSlow(raw.bufferedAmount);
        raw.terminate();
        continue;
      }
      raw._socket?.cork();
      for (const frame of queue) raw.send(frame, { binary: false });
      raw._socket?.uncork();
    }
  };

  return {
    /** Serializes `event` (once, whoever asks). */
    frameOf,
    /** A client writing to `raw`; `onSlow` is called once before it is cut. */
    client(raw: RawSocket, onSlow: (buffered: number) => void): FanOutClient {
      return {
        push(event) {
          const entry = dirty.get(raw);
          if (entry === undefined) dirty.set(raw, { queue: [frameOf(event)], onSlow });
          else entry.queue.push(frameOf(event));
          if (scheduled) return;
          scheduled = true;
          const wait = flushedAt + minFlushIntervalMs - performance.now();
          if (wait <= 0) setImmediate(flush);
          else setTimeout(flush, wait);
        },
      };
    },
  };
}
