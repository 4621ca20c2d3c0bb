import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Options of {@link createCsvAppender}. */
export interface CsvAppenderOptions {
  /** The output file; its directory is created when missing. */
  path: string;
  /** The header line, without a line ending; written only when the file is new or empty. */
  header: string;
}

/** Appends lines to one CSV file, one call at a time. */
export interface CsvAppender {
  readonly path: string;
  /**
   * Appends `lines` (each ending with LF) in a single write after everything appended before
   * it, so the lines of concurrent calls never interleave. Starts the file with the header when
   * it is missing or empty, also on the first call after a restart; if the file does not end
   * with a line ending (a write cut short by a crash) a LF goes first, so the new lines start on
   * a line of their own. Resolves once the data reached the file system.
   */
  append(lines: string): Promise<void>;
}

/**
 * Creates a {@link CsvAppender}. Appends are serialised within the appender, so let one
 * appender (one process) own a file: two processes appending to the same file could each see
 * it empty and both write the header.
 *
 * @example
 * ```ts
 * const csv = createCsvAppender({ path: './data/out.csv', header: 'a,b' });
 * await csv.append('1,2\n3,4\n');
 * ```
 */
export function createCsvAppender(options: CsvAppenderOptions): CsvAppender {
  const { path, header } = options;
  let tail: Promise<void> = Promise.resolve();

  const write = async (lines: string): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a+');
    try {
      const { size } = await handle.stat();
      let prefix = '';
      if (size === 0) {
        prefix = `${header}\n`;
      } else {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.appendFile(prefix + lines, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
  };

  return {
    path,
    append(lines) {
      const done = tail.then(() => write(lines));
      // The next append waits for this one whatever its outcome; the caller sees the failure.
      tail = done.catch(() => {});
      return done;
    },
  };
}
