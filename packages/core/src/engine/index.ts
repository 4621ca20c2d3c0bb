export { aggregateCsv, aggregateFile } from './aggregate-csv.js';
export { type AggregateTotals, aggregateTotals } from './aggregate-totals.js';
export { DEFAULT_MAX_RECORD_BYTES, DEFAULT_MEMORY_BUDGET } from './aggregation.js';
export {
  type BoundaryRecorder,
  type BoundaryRecorderOptions,
  createBoundaryRecorder,
  type RecordedBoundaries,
} from './boundary-recorder.js';
export { formatBytes, parseByteSize } from './byte-size.js';
export { CANONICAL_INPUT, CANONICAL_OUTPUT } from './canonical-example.js';
export { type CsvHeader, readCsvHeader } from './csv-header.js';
export { OUTPUT_HEADER } from './csv-output.js';
export { type FindFileBoundariesOptions, findFileBoundaries } from './file-split.js';
export { combineRangeStatistics, mergePartialRuns } from './partial-runs.js';
export {
  type AggregateRangeOptions,
  type AggregateSourceRangeOptions,
  aggregateFileRange,
  aggregateSourceRange,
  type RangeStatistics,
} from './range-aggregation.js';
export { type CsvByteRange, csvRanges, type RecordBoundary } from './record-boundaries.js';
export type { ColumnLayout } from './record-consumer.js';
export { sourceChunks } from './source-chunks.js';
export type * from './types.js';
