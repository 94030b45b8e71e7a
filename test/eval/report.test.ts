import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { meanStd } from '../../src/core/stats.js';
import { formatMetricValue, formatMetricsJson, formatMetricsMarkdown, formatThousands, type MetricsRow } from '../../src/eval/report.js';

describe('formatMetricsMarkdown', () => {
  test('single-run rows with all columns', () => {
    const rows: MetricsRow[] = [
      { model: 'FocusLiteNN-1', params: 148, srcc: 0.87654, plcc: 0.912345, rocAuc: 0.98765, ap: 0.5, msPerImage: 12.345 },
      { model: 'DenseNet-13', params: 1234567, srcc: -0.1, plcc: 1, rocAuc: 0.123456, ap: 0.99999, msPerImage: 250 },
    ];
    assert.equal(
      formatMetricsMarkdown(rows),
      [
        '| Model | Params | SRCC | PLCC | ROC-AUC | AP | ms/image |',
        '| :--- | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| FocusLiteNN-1 | 148 | 0.8765 | 0.9123 | 0.9877 | 0.5000 | 12.3 |',
        '| DenseNet-13 | 1,234,567 | -0.1000 | 1.0000 | 0.1235 | 1.0000 | 250.0 |',
        '',
      ].join('\n'),
    );
  });

  test('mean ± std cells, optional columns only when some row has them, "-" where missing', () => {
    const rows: MetricsRow[] = [
      { model: 'a', params: 10, srcc: meanStd([0.9, 0.92]), plcc: { mean: 0.8, std: 0.01 }, ap: { mean: 0.75, std: 0.125 } },
      { model: 'b', params: 0, srcc: 0.5, plcc: 0.25 },
    ];
    assert.equal(
      formatMetricsMarkdown(rows, { digits: 3 }),
      [
        '| Model | Params | SRCC | PLCC | AP |',
        '| :--- | ---: | ---: | ---: | ---: |',
        '| a | 10 | 0.910 ± 0.014 | 0.800 ± 0.010 | 0.750 ± 0.125 |',
        '| b | 0 | 0.500 | 0.250 | - |',
        '',
      ].join('\n'),
    );
  });

  test('model names cannot break the table', () => {
    const table = formatMetricsMarkdown([{ model: 'x|y\nz', params: 1, srcc: 0, plcc: 0 }]);
    assert.equal(table.split('\n')[2], '| x\\|y z | 1 | 0.0000 | 0.0000 |');
  });

  test('empty rows give a header-only table', () => {
    assert.equal(formatMetricsMarkdown([]), '| Model | Params | SRCC | PLCC |\n| :--- | ---: | ---: | ---: |\n');
  });

  test('rejects bad values and options', () => {
    assert.throws(() => formatMetricsMarkdown([{ model: 'm', params: 1, srcc: Number.NaN, plcc: 0 }]), /Expected a finite srcc in row 0 \(m\) but received NaN/);
    assert.throws(() => formatMetricsMarkdown([{ model: 'm', params: 1, srcc: 0, plcc: { mean: 1, std: Infinity } }]), /Expected a finite plcc in row 0 \(m\) but received Infinity/);
    assert.throws(() => formatMetricsMarkdown([{ model: 'm', params: 1.5, srcc: 0, plcc: 0 }]), /Expected a non-negative integer params in row 0 \(m\) but received 1.5/);
    assert.throws(() => formatMetricsMarkdown([], { digits: -1 }), /Expected digits to be an integer from 0 to 20 but received -1/);
    assert.throws(() => formatMetricsMarkdown([], { msDigits: 1.5 }), /Expected msDigits to be an integer from 0 to 20 but received 1.5/);
  });
});

describe('formatMetricsJson', () => {
  test('keeps full precision, table key order, and mean/std objects; omits absent metrics', () => {
    const json = formatMetricsJson([
      { msPerImage: 3.25, plcc: 0.1 + 0.2, srcc: { std: 0.01, mean: 0.9 }, params: 148, model: 'm', n: 6930 },
    ]);
    assert.equal(json.endsWith('\n'), true);
    const parsed = JSON.parse(json) as { rows: Array<Record<string, unknown>> };
    assert.deepEqual(parsed, { rows: [{ model: 'm', params: 148, n: 6930, srcc: { mean: 0.9, std: 0.01 }, plcc: 0.30000000000000004, msPerImage: 3.25 }] });
    assert.deepEqual(Object.keys(parsed.rows[0]!), ['model', 'params', 'n', 'srcc', 'plcc', 'msPerImage']);
    assert.deepEqual(Object.keys(parsed.rows[0]!.srcc as object), ['mean', 'std']);
  });

  test('rejects NaN rather than writing null', () => {
    assert.throws(() => formatMetricsJson([{ model: 'm', params: 1, srcc: 0, plcc: 0, rocAuc: Number.NaN }]), /Expected a finite rocAuc in row 0 \(m\) but received NaN/);
    assert.throws(() => formatMetricsJson([{ model: 'm', params: 1, n: -2, srcc: 0, plcc: 0 }]), /Expected a non-negative integer n in row 0 \(m\) but received -2/);
  });
});

describe('value formatting', () => {
  test('thousands separators and mean ± std', () => {
    assert.deepEqual([0, 999, 1000, 148000, 1234567].map(formatThousands), ['0', '999', '1,000', '148,000', '1,234,567']);
    assert.equal(formatMetricValue(0.98765, 2), '0.99');
    assert.equal(formatMetricValue({ mean: 0.5, std: 0.04 }, 1), '0.5 ± 0.0');
  });
});
