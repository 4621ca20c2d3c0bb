/** The longest file name a job keeps, in UTF-16 code units. */
const MAX_FILE_NAME_LENGTH = 200;

/**
 * A client's file name made safe to store and display: only the last path segment, without
 * control characters, trimmed and shortened, or `upload.csv` when nothing is left. It is only
 * ever shown; blob keys are generated, so even this cleaned name never names a path.
 */
export function cleanFileName(name: string | undefined | null): string {
  if (!name) return 'upload.csv';
  const lastSegment = name.split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const printable = lastSegment.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  const cleaned = printable === '.' || printable === '..' ? '' : printable;
  return cleaned.slice(0, MAX_FILE_NAME_LENGTH) || 'upload.csv';
}
