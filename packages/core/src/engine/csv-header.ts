import { PlaytallyError } from '../errors.js';
import { checkAborted } from './abort.js';
import { DEFAULT_MAX_RECORD_BYTES } from './aggregation.js';
import { CsvScanner } from './csv-scanner.js';
import { resolveColumns } from './header-columns.js';
import { type ColumnLayout, RowOutcome } from './record-consumer.js';
import { sourceChunks } from './source-chunks.js';
import type { ByteSource } from './types.js';

/**
 * The header row of a CSV, read once so that byte ranges of the data can be aggregated
 * separately: where the required columns sit, and where the data begins. Plain numbers, so it
 * can be stored with a job or sent to another thread or machine.
 */
export interface CsvHeader {
  /** Fields per record, and the positions of Song, Date and Number of Plays among them. */
  readonly columns: ColumnLayout;
  /** Offset of the first byte after the header row (past a byte order mark and blank lines). */
  readonly dataStart: number;
  /** Line number of that byte. */
  readonly dataLine: number;
}

/**
 * Reads the header row from the start of a CSV: a byte order mark and blank lines are skipped,
 * columns are matched after trimming, case-insensitively, in any order. Reads no further than
 * the header's end (then releases the source) and throws exactly what a whole run would for a
 * bad header: `MISSING_COLUMNS`, `EMPTY_INPUT`, `INVALID_INPUT` or `LINE_TOO_LONG`.
 *
 * @example
 * ```ts
 * const header = await readCsvHeader(createReadStream('plays.csv'));
 * console.log(header.columns.song, header.dataStart);
 * ```
 */
export async function readCsvHeader(
  input: ByteSource,
  options: { maxRecordBytes?: number; signal?: AbortSignal } = {},
): Promise<CsvHeader> {
  const scanner = new CsvScanner(
    { header: resolveColumns, row: () => RowOutcome.Done, reject: () => {} },
    options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    0,
  );
  const chunks = sourceChunks(input);
  try {
    for (;;) {
      checkAborted(options.signal);
      const next = await chunks.next();
      const final = next.done === true;
      if (!final) scanner.append(next.value);
      const columns = scanner.readHeader(final);
      if (columns !== undefined) {
        return { columns, dataStart: scanner.offset, dataLine: scanner.currentLine };
      }
      if (final) {
        scanner.finish();
        throw new PlaytallyError('INTERNAL', 'the header scan ended without a header or an error');
      }
    }
  } finally {
    await chunks.return?.().catch(() => {});
  }
}
