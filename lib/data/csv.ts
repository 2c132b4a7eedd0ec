// Numeric CSV files (one header row, then numbers) to and from [rows, columns] tensors.
import { Tensor } from '../../autodiff/tensor.js';
import { assert, ValueError } from '../util/errors.js';

/** A parsed numeric CSV: the header's column names and the values as a [rows, columns] tensor. */
export interface CsvTable {
  /** The header's column names, in file order. */
  columns: string[];
  /** The numbers, shape `[rows, columns]`, one row per data line. */
  values: Tensor;
}

// A decimal number as a data file writes it: sign, digits with an optional point, an optional exponent.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses numeric CSV text: a header row of column names, then one row of numbers per line.
 * Blank lines (and a final newline) are skipped; lines may end in `\n`, `\r\n` or a lone `\r`
 * (old Mac files). Fields are decimal numbers (`-1.5`, `2e-3`, `.5`); JavaScript's other
 * literals, which `Number()` also reads (`0x1F`, `0b101`, `0o17`, `Infinity`), are refused, since
 * in a data file they are far more likely damage than data.
 *
 * @param text - the file's contents
 * @param source - a name for error messages (a file path)
 * @returns the column names and a [rows, columns] tensor
 * @throws ValueError naming the line (1-based, counting the header) and column of the first
 *   row with the wrong number of fields or a field that is not a finite number
 * @example
 * parseCsv('x1,x2\n1,2\n3,4\n').values.shape // [2, 2]
 */
export function parseCsv(text: string, source = 'csv'): CsvTable {
  assert(typeof text === 'string', () => `parseCsv: 'text' must be a string, got ${typeof text}`, TypeError);
  const lines = text.split(/\r\n|\r|\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  assert(headerAt >= 0, () => `parseCsv: ${source} is empty, expected a header row`);
  const columns = lines[headerAt].split(',').map((c) => c.trim());
  const width = columns.length;
  const values: number[] = [];
  let rows = 0;
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const fields = line.split(',');
    if (fields.length !== width) {
      throw new ValueError(`parseCsv: ${source} line ${i + 1} has ${fields.length} fields, expected ${width} (the header's column count)`);
    }
    for (let c = 0; c < width; c++) {
      const f = fields[c].trim();
      const v = Number(f);
      // Number('') is 0, so an empty field must be caught before it silently becomes a zero.
      if (f === '' || !Number.isFinite(v)) {
        throw new ValueError(`parseCsv: ${source} line ${i + 1}, column ${c + 1} ('${columns[c]}'): '${f}' is not a finite number`);
      }
      if (!DECIMAL.test(f)) {
        throw new ValueError(`parseCsv: ${source} line ${i + 1}, column ${c + 1} ('${columns[c]}'): '${f}' is not a decimal number (hexadecimal, binary and octal literals are refused)`);
      }
      values.push(v);
    }
    rows++;
  }
  return { columns, values: new Tensor(Float64Array.from(values), [rows, width]) };
}
