import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedMessage, finiteNumber, inRange, integer, invalidParameterError, isInteger, oneOf, seed, threads } from '../../src/core/check.js';
import * as check from '../../src/core/check.js';

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

test('finite, positive, non-negative, half-open and at-least checks return the value or the standard message', () => {
  assert.equal(check.finite('threshold', -2.5), -2.5);
  assert.throws(() => check.finite('threshold', NaN), { message: 'Expected finite number for threshold but received NaN' });
  assert.equal(check.positiveNumber('eps', 1e-8), 1e-8);
  assert.throws(() => check.positiveNumber('eps', 0), { message: 'Expected positive number for eps but received 0' });
  assert.throws(() => check.positiveNumber('mpp', Infinity), /positive number for mpp/);
  assert.equal(check.nonNegativeNumber('memory', 0), 0);
  assert.throws(() => check.nonNegativeNumber('memory', -1), { message: 'Expected non-negative number for memory but received -1' });
  assert.equal(check.positiveInteger('step size', 3), 3);
  assert.throws(() => check.positiveInteger('step size', 0), { message: 'Expected positive integer for step size but received 0' });
  assert.throws(() => check.positiveInteger('step size', 1.5), /positive integer/);
  assert.equal(check.nonNegativeInteger('epoch', 0), 0);
  assert.throws(() => check.nonNegativeInteger('epoch', -1), { message: 'Expected non-negative integer for epoch but received -1' });
  assert.equal(check.halfOpen('beta1', 0.9, 0, 1), 0.9);
  assert.throws(() => check.halfOpen('beta1', 1, 0, 1), { message: 'Expected number in [0, 1) for beta1 but received 1' });
  assert.equal(check.integerAtLeast('thumbnailSize', 64, 64), 64);
  assert.throws(() => check.integerAtLeast('thumbnailSize', 63, 64), { message: 'Expected integer >= 64 for thumbnailSize but received 63' });
});
