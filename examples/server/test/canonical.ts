/** The canonical example of DESIGN §2: input and exact expected output. */
export { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';
