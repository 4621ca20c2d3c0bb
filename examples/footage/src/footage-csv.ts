import type { FootagePrediction } from './footage-schema.js';

/** The first line of the output file. */
export const FOOTAGE_CSV_HEADER = 'image_frame,prob,tags';

/** Characters that force a CSV field into quotes (RFC 4180). */
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, quoted (with `"` doubled) only when it must be. */
export function formatCsvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * The CSV line of one prediction, without its line ending: `image_frame,prob,tags` with the
 * tags joined by `;` (empty when there are none).
 */
export function formatPredictionRow(prediction: FootagePrediction): string {
  return [
    formatCsvField(prediction.image_frame),
    String(prediction.prob),
    formatCsvField((prediction.tags ?? []).join(';')),
  ].join(',');
}

/** The lines of all predictions, each ending with LF (empty when there are none). */
export function formatPredictionRows(predictions: readonly FootagePrediction[]): string {
  return predictions.map((prediction) => `${formatPredictionRow(prediction)}\n`).join('');
}
