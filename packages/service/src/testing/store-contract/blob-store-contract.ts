import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../ports/blob-store.js';

/**
 * A blob store under test with optional hooks. `listResidue` lets the suite prove that a failed
 * or aborted `put` leaves nothing behind (temporary files included); without it those checks
 * are skipped, never silently passed.
 */
export interface BlobStoreContractSubject {
  readonly store: BlobStore;
  /** Every file or object the backend holds right now, temporary ones included. */
  listResidue?(): Promise<readonly string[]>;
  /** Removes what the test created (a temporary directory, a bucket). */
  dispose?(): Promise<void>;
}

/** Makes a fresh, empty store (or a subject wrapping one) for one test. */
export type BlobStoreFactory = () =>
  | BlobStore
  | BlobStoreContractSubject
  | Promise<BlobStore | BlobStoreContractSubject>;

const MIB = 1024 * 1024;

/** Deterministic, non-repeating-looking bytes: chunk `index` of `size` bytes. */
function patternChunk(index: number, size: number): Uint8Array {
  const chunk = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 1) chunk[offset] = (index * 31 + offset * 7) & 0xff;
  return chunk;
}

async function* patternSource(chunks: number, size: number): AsyncGenerator<Uint8Array> {
  for (let index = 0; index < chunks; index += 1) yield patternChunk(index, size);
}

async function digestOf(
  readable: Readable,
): Promise<{ sha256: string; size: number; chunks: number; largest: number }> {
  const hash = createHash('sha256');
  let size = 0;
  let chunks = 0;
  let largest = 0;
  for await (const chunk of readable as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.byteLength;
    chunks += 1;
    largest = Math.max(largest, chunk.byteLength);
  }
  return { sha256: hash.digest('hex'), size, chunks, largest };
}

function sha256Of(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

const INVALID_KEYS = [
  '',
  '../etc/passwd',
  '/etc/passwd',
  'uploads/../../etc/passwd',
  'uploads/00000000-0000-4000-8000-000000000000/..',
  'uploads\\..\\secret',
  'uploads/00000000-0000-4000-8000-000000000000\0',
  'uploads/.tmp-00000000-0000-4000-8000-000000000000',
];

async function bytesOf(readable: Readable): Promise<Buffer> {
  const received: Buffer[] = [];
  for await (const chunk of readable as AsyncIterable<Buffer>) received.push(chunk);
  return Buffer.concat(received);
}

/**
 * The behaviour every {@link BlobStore} must show, as a vitest suite: a multi-MiB streamed round
 * trip from every `ByteSource` form, byte-range reads, `maxBytes` and abort leaving nothing
 * behind, `NOT_FOUND` for unknown or malicious keys, idempotent delete, and `deletePrefix` and
 * `ping` where the store has them.
 *
 * @example
 * ```ts
 * import { describeBlobStoreContract } from '@playtally/service/testing';
 * describeBlobStoreContract('fs', async () => createFsBlobStore({ directory: await mkdtemp(...) }));
 * ```
 */
export function describeBlobStoreContract(name: string, factory: BlobStoreFactory): void {
  describe(`${name}: BlobStore contract`, () => {
    let subject: BlobStoreContractSubject;
    let store: BlobStore;

    beforeEach(async () => {
      const made = await factory();
      subject = 'store' in made ? made : { store: made };
      store = subject.store;
    });

    afterEach(async () => {
      await subject.dispose?.();
    });

    const expectNoResidue = async (skip: (note: string) => void): Promise<void> => {
      if (subject.listResidue === undefined) {
        skip('the factory offers no listResidue hook');
        return;
      }
      expect(await subject.listResidue()).toEqual([]);
    };

    it('streams a multi-MiB blob in and out unchanged, in many chunks', async () => {
      const chunks = 96;
      const size = 64 * 1024;
      const info = await store.put(patternSource(chunks, size), { prefix: 'uploads' });
      expect(info.size).toBe(6 * MIB);
      expect(info.key.startsWith('uploads/')).toBe(true);
      expect(await store.stat(info.key)).toEqual(info);
      const digest = await digestOf(await store.read(info.key));
      const expected = sha256Of(
        Array.from({ length: chunks }, (_, index) => patternChunk(index, size)),
      );
      expect(digest.sha256).toBe(expected);
      expect(digest.size).toBe(6 * MIB);
      expect(digest.chunks).toBeGreaterThan(1);
      expect(digest.largest).toBeLessThanOrEqual(MIB);
    });

    it('accepts every ByteSource form', async () => {
      const parts = [
        Buffer.from('Song,Date,'),
        Buffer.from('Number of Plays\n'),
        Buffer.from('a,2024-01-01,1\n'),
      ];
      const text = Buffer.concat(parts).toString();
      const sources = [
        Readable.from(parts),
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const part of parts) controller.enqueue(new Uint8Array(part));
            controller.close();
          },
        }),
        (async function* () {
          yield* parts;
        })(),
        parts,
      ];
      for (const source of sources) {
        const info = await store.put(source);
        expect(info.size).toBe(Buffer.byteLength(text));
        const read = await store.read(info.key);
        const received: Buffer[] = [];
        for await (const chunk of read as AsyncIterable<Buffer>) received.push(chunk);
        expect(Buffer.concat(received).toString()).toBe(text);
      }
    });

    it('stores an empty blob', async () => {
      const info = await store.put([]);
      expect(info.size).toBe(0);
      expect((await digestOf(await store.read(info.key))).size).toBe(0);
    });

    it('gives every put its own key', async () => {
      const infos = await Promise.all(
        Array.from({ length: 8 }, (_, n) =>
          store.put([Buffer.from(`blob ${n}`)], { prefix: 'results' }),
        ),
      );
      expect(new Set(infos.map((info) => info.key)).size).toBe(8);
      for (const [n, info] of infos.entries()) {
        const received: Buffer[] = [];
        for await (const chunk of (await store.read(info.key)) as AsyncIterable<Buffer>)
          received.push(chunk);
        expect(Buffer.concat(received).toString()).toBe(`blob ${n}`);
      }
    });

    it('rejects a prefix that is not letters, digits or "-"', async () => {
      await expect(store.put([Buffer.from('x')], { prefix: '../up' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
    });

    it('accepts exactly maxBytes bytes', async () => {
      const info = await store.put(patternSource(4, 1000), { maxBytes: 4000 });
      expect(info.size).toBe(4000);
    });

    it('rejects a blob past maxBytes with PAYLOAD_TOO_LARGE and keeps nothing', async (context) => {
      await expect(
        store.put(patternSource(64, 64 * 1024), { maxBytes: MIB + 1 }),
      ).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
      });
      await expectNoResidue((note) => context.skip(note));
    });

    it('rejects an aborted put with ABORTED and keeps nothing, even while the source stalls', async (context) => {
      const controller = new AbortController();
      const stalled = (async function* () {
        yield patternChunk(0, 64 * 1024);
        setTimeout(() => controller.abort(), 20);
        await new Promise(() => {});
      })();
      await expect(store.put(stalled, { signal: controller.signal })).rejects.toMatchObject({
        code: 'ABORTED',
      });
      await expect(
        store.put([Buffer.from('x')], { signal: AbortSignal.abort() }),
      ).rejects.toMatchObject({
        code: 'ABORTED',
      });
      await expectNoResidue((note) => context.skip(note));
    });

    it('passes on a failing source and keeps nothing', async (context) => {
      const failing = (async function* () {
        yield patternChunk(1, 1024);
        throw new Error('client went away');
      })();
      await expect(store.put(failing)).rejects.toThrow('client went away');
      await expectNoResidue((note) => context.skip(note));
    });

    it('takes a source of exactly the expected size, and refuses a longer or shorter one, keeping nothing', async (context) => {
      const exact = await store.put(patternSource(20, 64 * 1024), {
        expectedBytes: 20 * 64 * 1024,
        prefix: 'uploads',
      });
      expect(exact.size).toBe(20 * 64 * 1024);
      expect((await digestOf(await store.read(exact.key))).size).toBe(20 * 64 * 1024);
      await store.delete(exact.key);
      await expect(
        store.put(patternSource(20, 64 * 1024), { expectedBytes: 20 * 64 * 1024 - 1 }),
      ).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: `the upload has more bytes than the ${20 * 64 * 1024 - 1} announced`,
      });
      await expect(
        store.put(patternSource(20, 64 * 1024), { expectedBytes: 20 * 64 * 1024 + 1 }),
      ).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: `the upload ended after ${20 * 64 * 1024} bytes, but ${20 * 64 * 1024 + 1} were announced`,
      });
      await expectNoResidue((note) => context.skip(note));
    });

    it('treats unknown and malicious keys as absent', async () => {
      await store.put([Buffer.from('secret')], { prefix: 'uploads' });
      for (const key of [...INVALID_KEYS, 'uploads/00000000-0000-4000-8000-000000000000']) {
        await expect(store.read(key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        expect(await store.stat(key)).toBeUndefined();
        await expect(store.delete(key)).resolves.toBeUndefined();
      }
    });

    it('reads any byte range: start inclusive, end exclusive, clamped to the blob', async () => {
      const whole = Buffer.concat(Array.from({ length: 40 }, (_, n) => patternChunk(n, 64 * 1024)));
      const { key, size } = await store.put(patternSource(40, 64 * 1024), { prefix: 'uploads' });
      expect(size).toBe(whole.byteLength);
      const cases: [{ start?: number; end?: number }, Buffer][] = [
        [{ start: 1000, end: 2_000_001 }, whole.subarray(1000, 2_000_001)],
        [{ start: size - 10 }, whole.subarray(size - 10)],
        [{ end: 17 }, whole.subarray(0, 17)],
        [{}, whole],
        [{ start: size - 5, end: size + 100 }, whole.subarray(size - 5)],
        [{ start: size }, Buffer.alloc(0)],
        [{ start: size + 10, end: size + 20 }, Buffer.alloc(0)],
        [{ start: 7, end: 7 }, Buffer.alloc(0)],
      ];
      for (const [range, expected] of cases) {
        const read = await bytesOf(await store.read(key, range));
        expect(read.equals(expected), `range ${JSON.stringify(range)}`).toBe(true);
      }
    });

    it('serves adjacent ranges that add up to the whole blob, as workers splitting it would', async () => {
      const chunks = 24;
      const size = 100_000;
      const { key } = await store.put(patternSource(chunks, size));
      const expected = sha256Of(Array.from({ length: chunks }, (_, n) => patternChunk(n, size)));
      const cuts = [0, 1, 777_777, 1_048_576, 1_999_999, chunks * size];
      const pieces = await Promise.all(
        cuts
          .slice(1)
          .map(async (end, n) => bytesOf(await store.read(key, { start: cuts[n] ?? 0, end }))),
      );
      expect(sha256Of(pieces)).toBe(expected);
    });

    it('rejects a malformed range with INVALID_INPUT, and an unknown key with NOT_FOUND', async () => {
      const { key } = await store.put([Buffer.from('0123456789')]);
      for (const range of [
        { start: -1 },
        { start: 5, end: 4 },
        { start: 1.5 },
        { end: Number.NaN },
      ]) {
        await expect(store.read(key, range), JSON.stringify(range)).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      }
      await expect(
        store.read('uploads/00000000-0000-4000-8000-000000000000', { start: 0, end: 1 }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('answers ping when it has one', async (context) => {
      if (store.ping === undefined) {
        context.skip('the store has no ping');
        return;
      }
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('deletes every blob under a prefix, and nothing under another', async (context) => {
      if (store.deletePrefix === undefined) {
        context.skip('the store has no deletePrefix');
        return;
      }
      const doomed = [
        await store.put([Buffer.from('a')], { prefix: 'job-1' }),
        await store.put([Buffer.from('bb')], { prefix: 'job-1' }),
      ];
      // A prefix that starts with the other one's name is another prefix.
      const kept = await store.put([Buffer.from('ccc')], { prefix: 'job-10' });
      await store.deletePrefix('job-1');
      for (const blob of doomed) expect(await store.stat(blob.key)).toBeUndefined();
      expect(await store.stat(kept.key)).toEqual(kept);
      await store.deletePrefix('job-1');
      await store.deletePrefix('never-used');
      await expect(store.deletePrefix('../job-10')).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      expect(await bytesOf(await store.read(kept.key))).toEqual(Buffer.from('ccc'));
    });

    it('deletes idempotently', async () => {
      const info = await store.put([Buffer.from('bye')]);
      await store.delete(info.key);
      await store.delete(info.key);
      expect(await store.stat(info.key)).toBeUndefined();
      await expect(store.read(info.key)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
}
