/**
 * The canonical example of the aggregation: an input CSV and its exact expected
 * output, byte for byte. Tests across packages check the whole path against it.
 *
 * @example
 * ```ts
 * import { CANONICAL_INPUT, CANONICAL_OUTPUT } from '@playtally/core';
 * expect(await aggregateToString(CANONICAL_INPUT)).toBe(CANONICAL_OUTPUT);
 * ```
 */
export const CANONICAL_INPUT = `Song,Date,Number of Plays
Umbrella,2020-01-02,200
Umbrella,2020-01-01,100
In The End,2020-01-01,500
Umbrella,2020-01-01,50
In The End,2020-01-01,1000
Umbrella,2020-01-02,50
In The End,2020-01-02,500
`;

/** The output {@link CANONICAL_INPUT} must give. */
export const CANONICAL_OUTPUT = `Song,Date,Total Number of Plays for Date
In The End,2020-01-01,1500
In The End,2020-01-02,500
Umbrella,2020-01-01,150
Umbrella,2020-01-02,250
`;
