import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedMessage, finiteNumber, inRange, integer, invalidParameterError, isInteger, oneOf, seed, threads } from '../../src/core/check.js';

test('one message form: "Expected <what> for <name> but received <value>"', () => {
  assert.equal(expectedMessage('threads', 'integer between 1 and 64', 0), 'Expected integer between 1 and 64 for threads but received 0');
  assert.equal(invalidParameterError('mode', 'one of a, b', 'c').message, 'Expected one of a, b for mode but received c');
  assert.equal(expectedMessage('x', 'number', undefined), 'Expected number for x but received undefined');
  assert.equal(expectedMessage('x', 'number', { a: 1 }), 'Expected number for x but received {"a":1}');
});

test('predicates', () => {
  assert.ok(inRange(1, 1, 2) && inRange(2, 1, 2) && !inRange(3, 1, 2) && !inRange(Number.NaN, 0, 1));
  assert.ok(isInteger(3) && !isInteger(3.5) && !isInteger('3'));
});

test('asserting helpers return the value or throw the standard message', () => {
  assert.equal(integer('levels', 3, 0, 30), 3);
  assert.throws(() => integer('levels', 31, 0, 30), { message: 'Expected integer between 0 and 30 for levels but received 31' });
  assert.throws(() => integer('levels', 2.5, 0, 30), /for levels but received 2.5/);
  assert.equal(finiteNumber('noise', 0.5, 0, 64), 0.5);
  assert.throws(() => finiteNumber('noise', Number.POSITIVE_INFINITY, 0, 64), { message: 'Expected number between 0 and 64 for noise but received Infinity' });
  assert.equal(oneOf('group-by', 'slide', ['image', 'slide']), 'slide');
  assert.throws(() => oneOf('group-by', 'tile', ['image', 'slide']), { message: 'Expected one of image, slide for group-by but received tile' });
  assert.equal(threads(256), 256);
  assert.throws(() => threads(0), { message: 'Expected integer between 1 and 256 for threads but received 0' });
  assert.throws(() => seed(-1), { message: 'Expected integer between 0 and 4294967295 for seed but received -1' });
});
