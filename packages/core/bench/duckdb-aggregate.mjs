// The DuckDB contender: the same aggregation as one SQL statement, CSV in, CSV out.
// Usage: node bench/duckdb-aggregate.mjs <input.csv> <output.csv>
//
// ORDER BY uses DuckDB's binary collation (the default, spelled out): it compares UTF-8 bytes,
// which is Unicode code point order, like the engine. DuckDB's CSV writer quotes a value only
// when it holds the delimiter, a quote, CR or LF (or is empty, which a song never is), like
// the engine, so both outputs are compared byte for byte with no normalisation.
import { DuckDBInstance } from '@duckdb/node-api';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: duckdb-aggregate.mjs <input.csv> <output.csv>');
  process.exit(2);
}
const literal = (text) => `'${text.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run(`
  COPY (
    SELECT Song,
           strftime(Date, '%Y-%m-%d') AS Date,
           sum("Number of Plays") AS "Total Number of Plays for Date"
    FROM read_csv(${literal(input)}, header = true, delim = ',', quote = '"', escape = '"',
                  columns = {'Song': 'VARCHAR', 'Date': 'DATE', 'Number of Plays': 'HUGEINT'})
    GROUP BY Song, Date
    ORDER BY Song COLLATE "binary", Date
  ) TO ${literal(output)} (HEADER, DELIMITER ',')`);
connection.closeSync();
