/** The canonical example of the aggregation: input and exact expected output. */
export { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';
