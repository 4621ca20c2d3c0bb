import type { CloudEvent } from '@playtally/transport';
import { describe, expect, it } from 'vitest';
import { createEventFanOut, type RawSocket } from './event-fan-out.js';

/** A socket that records what the fan-out does to it. */
function recordingSocket(bufferedAmount = 0) {
  const calls: string[] = [];
  const socket: RawSocket = {
    bufferedAmount,
    send: (data, options) => {
      calls.push(`send ${Buffer.from(data).toString()} binary=${options.binary}`);
    },
    terminate: () => calls.push('terminate'),
    _socket: { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') },
  };
  return { socket, calls };
}

const event = (id: string) => ({ id, type: 'message.received' }) as unknown as CloudEvent;
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('createEventFanOut', () => {
  it('serializes each event once for all clients, and writes a turn of events in one go', async () => {
    let serialized = 0;
    const fanOut = createEventFanOut((e) => {
      serialized += 1;
      return JSON.stringify({ id: e.id });
    }, 1000);
    const a = recordingSocket();
    const b = recordingSocket();
    const clients = [a, b].map(({ socket }) => fanOut.client(socket, () => {}));
    const events = [event('1'), event('2')];
    for (const e of events) for (const client of clients) client.push(e);
    await turn();
    expect(serialized).toBe(2);
    for (const { calls } of [a, b]) {
      expect(calls).toEqual([
        'cork',
        'send {"id":"1"} binary=false',
        'send {"id":"2"} binary=false',
        'uncork',
      ]);
    }
  });

  it('writes events arriving right after a flush together, in the next one', async () => {
    const fanOut = createEventFanOut((e) => e.id, 1000, 200);
    const a = recordingSocket();
    const client = fanOut.client(a.socket, () => {});
    client.push(event('1'));
    await turn();
    client.push(event('2'));
    await turn();
    client.push(event('3'));
    await turn();
    expect(a.calls).toHaveLength(3); // the second flush waits for the interval
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(a.calls).toEqual([
      'cork',
      'send 1 binary=false',
      'uncork',
      'cork',
      'send 2 binary=false',
      'send 3 binary=false',
      'uncork',
    ]);
  });

  it('cuts a client past the buffered cap instead of writing to it, and says so once', async () => {
    const fanOut = createEventFanOut((e) => e.id, 1000);
    const slow = recordingSocket(1001);
    const fine = recordingSocket(1000);
    const slowCalls: number[] = [];
    const slowClient = fanOut.client(slow.socket, (buffered) => slowCalls.push(buffered));
    const fineClient = fanOut.client(fine.socket, () => {});
    slowClient.push(event('1'));
    fineClient.push(event('1'));
    await turn();
    expect(slow.calls).toEqual(['terminate']);
    expect(slowCalls).toEqual([1001]);
    expect(fine.calls).toEqual(['cork', 'send 1 binary=false', 'uncork']);
  });
});
