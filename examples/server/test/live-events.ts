import WebSocket from 'ws';

/** A structured-mode CloudEvent as `/v1/events` sends it. */
export interface LiveEvent {
  type: string;
  subject?: string;
  data: { job?: Record<string, unknown>; message?: Record<string, unknown> };
  [attribute: string]: unknown;
}

/** The events a WebSocket has received, and a way to wait for one. */
export interface LiveEvents {
  readonly events: LiveEvent[];
  until(predicate: (event: LiveEvent) => boolean, timeoutMs?: number): Promise<LiveEvent>;
  close(): void;
}

/** Connects to `/v1/events` of the API at `baseUrl` (http://…). */
export function connectEvents(baseUrl: string, query = ''): Promise<LiveEvents> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/events${query}`);
  const events: LiveEvent[] = [];
  socket.on('message', (data) => events.push(JSON.parse(String(data)) as LiveEvent));
  const live: LiveEvents = {
    events,
    async until(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) {
          throw new Error(
            `no matching event; received ${JSON.stringify(events.map((e) => [e.type, e.subject]))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => socket.terminate(),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(live));
    socket.once('error', reject);
  });
}
