/**
 * A `Content-Disposition: attachment` header value for `filename`: an ASCII-only `filename`
 * (anything else becomes `_`, quotes and backslashes included) plus the exact name as RFC 5987
 * `filename*`, so no client-chosen name can break the header or name a directory.
 */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^A-Za-z0-9._ -]/g, '_').replace(/^[.\s]+/, '') || 'result.csv';
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The download name of a job's result: `plays.csv` → `plays-totals.csv`. */
export function resultFileName(uploadName: string): string {
  const base = uploadName.replace(/\.csv$/i, '') || 'result';
  return `${base}-totals.csv`;
}
