/** The one CSV writer: quoting, numbers, empty fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvDocument, csvField, csvRow, csvSummaryField, precise, round6, splitCsvLine } from '../../src/core/csv.js';

test('fields: RFC 4180 quoting only where needed, quotes doubled', () => {
  assert.equal(csvField('plain.png'), 'plain.png');
  assert.equal(csvField('a,b.png'), '"a,b.png"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField('cr\rhere'), '"cr\rhere"');
  assert.equal(csvField(''), '');
});

test('numbers as JavaScript prints them; non-finite, null and undefined are empty fields', () => {
  assert.equal(csvField(0.1 + 0.2), '0.30000000000000004');
  assert.equal(csvField(-0), '0');
  assert.equal(csvField(NaN), '');
  assert.equal(csvField(Infinity), '');
  assert.equal(csvField(null), '');
  assert.equal(csvField(undefined), '');
  assert.equal(csvField(true), 'true');
  assert.equal(csvRow(['x', 1, null, round6(1 / 3), precise(123456789, 3)]), 'x,1,,0.333333,123000000');
  assert.equal(round6(NaN), null);
  assert.equal(precise(null), null);
});

test('a document is a header and rows, each line ending in a newline', () => {
  assert.equal(csvDocument(['a', 'b'], [[1, 'x,y'], [null, 2]]), 'a,b\n1,"x,y"\n,2\n');
  assert.equal(csvDocument(['a'], []), 'a\n');
});

test('summary fields round numbers to 6 decimals; the splitter reads what the writer writes', () => {
  assert.deepEqual([csvSummaryField(1 / 3), csvSummaryField(null), csvSummaryField('a,b'), csvSummaryField(false)], ['0.333333', '', '"a,b"', 'false']);
  assert.deepEqual(splitCsvLine('a,"b,""c""",,d'), ['a', 'b,"c"', '', 'd']);
  const row = ['x,y', 'say "hi"', '', '2'];
  assert.deepEqual(splitCsvLine(csvRow(row)), row);
});
