export { aggregateCsv } from './aggregate-csv.js';
export { type AggregateTotals, aggregateTotals } from './aggregate-totals.js';
export { DEFAULT_MAX_RECORD_BYTES, DEFAULT_MEMORY_BUDGET } from './aggregation.js';
export { CANONICAL_INPUT, CANONICAL_OUTPUT } from './canonical-example.js';
export { OUTPUT_HEADER } from './csv-output.js';
export { sourceChunks } from './source-chunks.js';
export type * from './types.js';
