import type { Writable } from 'node:stream';
import { PlaytallyError } from '../errors.js';
import type { ByteSink } from './types.js';

/** Writes chunks to a {@link ByteSink}, honouring backpressure. */
export interface SinkWriter {
  /** Resolves once the sink can take more. The chunk must not be reused afterwards. */
  write(chunk: Buffer): Promise<void>;
  /** Ends the sink and resolves once everything is flushed. */
  end(): Promise<void>;
  /** Stops using the sink after a failure, leaving it open (the caller owns its fate). */
  release(): void;
}

/** A {@link SinkWriter} over a Node writable or a web `WritableStream`. */
export function createSinkWriter(sink: ByteSink): SinkWriter {
  return isNodeWritable(sink) ? nodeWriter(sink) : webWriter(sink);
}

function isNodeWritable(sink: ByteSink): sink is Writable {
  return (
    typeof (sink as Writable).write === 'function' && typeof (sink as Writable).on === 'function'
  );
}

function nodeWriter(sink: Writable): SinkWriter {
  // Listen for errors for the whole session, so a failing sink (EPIPE, disk full) rejects the
  // run instead of crashing the process with an unhandled 'error' event.
  let failure: unknown;
  const onError = (error: Error) => {
    failure ??= error;
  };
  sink.on('error', onError);
  const closedError = () =>
    failure ??
    sink.errored ??
    new PlaytallyError('INTERNAL', 'the output stream was closed before the output was complete');
  return {
    write(chunk) {
      if (failure !== undefined || sink.destroyed || sink.writableEnded)
        return Promise.reject(closedError());
      if (sink.write(chunk)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const done = (error?: unknown) => {
          sink.off('drain', onDrain);
          sink.off('error', onFailure);
          sink.off('close', onClose);
          if (error === undefined) resolve();
          else reject(error);
        };
        const onDrain = () => done();
        const onFailure = (error: Error) => done(error);
        const onClose = () => done(closedError());
        sink.on('drain', onDrain);
        sink.on('error', onFailure);
        sink.on('close', onClose);
      });
    },
    end() {
      return new Promise<void>((resolve, reject) => {
        if (failure !== undefined || sink.destroyed) {
          reject(closedError());
          return;
        }
        sink.end((error?: Error | null) => {
          sink.off('error', onError);
          if (error) reject(error);
          else resolve();
        });
      });
    },
    release() {
      sink.off('error', onError);
    },
  };
}

function webWriter(sink: WritableStream<Uint8Array>): SinkWriter {
  const writer = sink.getWriter();
  return {
    async write(chunk) {
      await writer.ready;
      // Failures of this write surface through `ready` or `close()`.
      writer.write(chunk).catch(() => {});
    },
    async end() {
      await writer.close();
    },
    release() {
      writer.releaseLock();
    },
  };
}
