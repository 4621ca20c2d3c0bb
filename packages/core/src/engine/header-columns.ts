import { PlaytallyError } from '../errors.js';
import type { ColumnLayout } from './record-consumer.js';

/** The input columns the engine needs, as people write them. */
export const REQUIRED_COLUMNS = ['Song', 'Date', 'Number of Plays'] as const;

/**
 * Finds the required columns in a header row: names are matched after trimming,
 * case-insensitively, in any order; other columns are ignored. Throws `MISSING_COLUMNS`
 * listing what was found, or `INVALID_INPUT` when a required column appears twice.
 */
export function resolveColumns(fields: readonly string[], line: number): ColumnLayout {
  const wanted = REQUIRED_COLUMNS.map((name) => name.toLowerCase());
  const at = [-1, -1, -1];
  fields.forEach((field, index) => {
    const which = wanted.indexOf(field.trim().toLowerCase());
    if (which === -1) return;
    if (at[which] !== -1) {
      throw new PlaytallyError(
        'INVALID_INPUT',
        `line ${line}: the header names the column "${REQUIRED_COLUMNS[which]}" twice`,
        {
          details: { line, column: REQUIRED_COLUMNS[which] },
        },
      );
    }
    at[which] = index;
  });
  const missing = REQUIRED_COLUMNS.filter((_, i) => at[i] === -1);
  if (missing.length > 0) {
    const found = fields.map((field) => field.trim());
    throw new PlaytallyError(
      'MISSING_COLUMNS',
      `the header lacks ${missing.length === 1 ? 'the column' : 'the columns'} ${list(missing)}; found ${list(found)}`,
      { details: { missing, found } },
    );
  }
  return { count: fields.length, song: at[0]!, date: at[1]!, plays: at[2]! };
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'no columns' : names.map((name) => JSON.stringify(name)).join(', ');
}
