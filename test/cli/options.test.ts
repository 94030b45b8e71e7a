import { test } from 'node:test';
import assert from 'node:assert/strict';
import { choiceOption, intOption, numberOption } from '../../src/cli/options.js';

test('CLI option parsers use the standard messages of core/check', () => {
  assert.equal(intOption('threads', 1, 64)('8'), 8);
  assert.throws(() => intOption('threads', 1, 64)('0'), { message: 'Expected integer between 1 and 64 for threads but received 0' });
  assert.throws(() => intOption('threads', 1, 64)('2.5'), { message: 'Expected integer between 1 and 64 for threads but received 2.5' });
  assert.throws(() => numberOption('noise', 0, 64)(''), { message: 'Expected number between 0 and 64 for noise but received ' });
  assert.equal(choiceOption('format', ['csv', 'json'] as const)('csv'), 'csv');
  assert.throws(() => choiceOption('format', ['csv', 'json'] as const)('xml'), { message: 'Expected one of csv, json for format but received xml' });
});
