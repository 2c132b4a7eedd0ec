import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '../../../lib/data/csv.js';
import { readCsv } from '../../../lib/node/files.js';
import { ValueError } from '../../../lib/util/errors.js';

describe('parseCsv', () => {
  it('reads a header and numeric rows into [rows, columns]', () => {
    const { columns, values } = parseCsv('x1,x2\n1.5,-2\r\n3e2,4\n\n');
    expect(columns).toEqual(['x1', 'x2']);
    expect(values.shape).toEqual([2, 2]);
    expect(values.toArray()).toEqual([[1.5, -2], [300, 4]]);
  });

  it('keeps 17-significant-digit values bit-exact', () => {
    const { values } = parseCsv('a\n0.61304176716495273\n');
    expect(values.data[0]).toBe(0.61304176716495273);
  });

  it('names the line and column of a malformed field', () => {
    expect(() => parseCsv('a,b\n1,2\n3,x\n', 'f.csv')).toThrow(ValueError);
    expect(() => parseCsv('a,b\n1,2\n3,x\n', 'f.csv')).toThrow("parseCsv: f.csv line 3, column 2 ('b'): 'x' is not a finite number");
    // An empty field is not a zero.
    expect(() => parseCsv('a,b\n1,\n', 'f.csv')).toThrow("parseCsv: f.csv line 2, column 2 ('b'): '' is not a finite number");
    expect(() => parseCsv('a,b\nNaN,1\n', 'f.csv')).toThrow(/line 2, column 1 \('a'\): 'NaN' is not a finite number/);
  });

  it('names the line of a row with the wrong number of fields', () => {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'f.csv')).toThrow('parseCsv: f.csv line 3 has 1 fields, expected 2 (the header\'s column count)');
    expect(() => parseCsv('a,b\n1,2,3\n', 'f.csv')).toThrow(/line 2 has 3 fields, expected 2/);
  });

  it('rejects an empty file', () => {
    expect(() => parseCsv('\n\n', 'e.csv')).toThrow('parseCsv: e.csv is empty, expected a header row');
  });

  it('readCsv reads a file and names its path in errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'maflow-csv-'));
    const good = join(dir, 'good.csv');
    const bad = join(dir, 'bad.csv');
    writeFileSync(good, 'x\n1\n2\n');
    writeFileSync(bad, 'x\n1\n?\n');
    expect((await readCsv(good)).values.toArray()).toEqual([[1], [2]]);
    await expect(readCsv(bad)).rejects.toThrow(`parseCsv: ${bad} line 3, column 1 ('x'): '?' is not a finite number`);
  });
});
