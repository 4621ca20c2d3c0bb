import type { Readable } from 'node:stream';
import { PlaytallyError } from '@playtally/service';
import busboy from 'busboy';

/** Options of {@link receiveMultipartFile}. */
export interface MultipartFileOptions<T> {
  /** The form field carrying the file. @default 'file' */
  field?: string;
  /**
   * Consumes the file as it arrives (the body is never buffered whole); its result is returned.
   * `fields` resolves with the other form fields once the whole form has been read.
   */
  onFile: (
    file: Readable,
    filename: string | undefined,
    fields: Promise<Readonly<Record<string, string>>>,
  ) => Promise<T>;
}

/**
 * Streams a `multipart/form-data` body through busboy and hands the one file field to `onFile`
 * as a stream. Other files are discarded; text fields are small (4 KiB each). Rejects with
 * `VALIDATION_FAILED` when the form is malformed or has no file, with the body's own error when
 * it fails (a client gone, an idle timeout), and with whatever `onFile` rejects with (then the
 * rest of the body is not read). When the body fails, the file stream handed to `onFile` fails
 * with the same error at once, so whatever it was writing is cleaned up without waiting.
 */
export function receiveMultipartFile<T>(
  body: Readable,
  contentType: string,
  options: MultipartFileOptions<T>,
): Promise<T> {
  const field = options.field ?? 'file';
  return new Promise<T>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        limits: { files: 1, fields: 20, fieldSize: 4096, parts: 40, headerPairs: 50 },
      });
    } catch (cause) {
      body.destroy();
      reject(malformed(cause));
      return;
    }
    const fields: Record<string, string> = {};
    let resolveFields: (value: Readonly<Record<string, string>>) => void = () => {};
    let rejectFields: (error: unknown) => void = () => {};
    const fieldsDone = new Promise<Readonly<Record<string, string>>>((ok, fail) => {
      resolveFields = ok;
      rejectFields = fail;
    });
    fieldsDone.catch(() => {});
    let file: Promise<T> | undefined;
    let fileStream: Readable | undefined;
    let settled = false;

    const fail = (error: unknown): void => {
      rejectFields(error);
      if (settled) return;
      settled = true;
      body.unpipe(parser);
      body.destroy();
      parser.removeAllListeners('close');
      if (fileStream !== undefined && !fileStream.readableEnded) {
        fileStream.destroy(error instanceof Error ? error : new Error(String(error)));
      }
      if (file === undefined) {
        reject(error);
        return;
      }
      // Answer once the consumer has let go of what it was writing.
      file.then(
        () => reject(error),
        () => reject(error),
      );
    };

    parser.on('file', (name, stream, info) => {
      if (name !== field || file) {
        stream.resume();
        return;
      }
      fileStream = stream;
      // The consumer sees the stream's error when it reads; this keeps an error raised while it
      // is busy elsewhere (writing to disk) from becoming an uncaught exception.
      stream.on('error', () => {});
      file = options.onFile(stream, info.filename, fieldsDone);
      file.catch((error: unknown) => {
        stream.resume();
        fail(error);
      });
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        fail(new PlaytallyError('VALIDATION_FAILED', `form field "${name}" is too long`));
        return;
      }
      fields[name] = value;
    });
    parser.on('error', (error) => fail(malformed(error)));
    body.on('error', (error) => fail(error instanceof PlaytallyError ? error : malformed(error)));
    parser.on('close', () => {
      resolveFields(fields);
      if (!file) return fail(noFile(field));
      file.then((result) => {
        if (settled) return;
        settled = true;
        resolve(result);
      }, fail);
    });
    body.pipe(parser);
  });
}

function noFile(field: string): PlaytallyError {
  return new PlaytallyError('VALIDATION_FAILED', `the form has no file in field "${field}"`, {
    details: { field },
  });
}

function malformed(cause: unknown): PlaytallyError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PlaytallyError('VALIDATION_FAILED', `the form is malformed: ${reason}`, { cause });
}
