/** ByteBudget: grants in order, waits when full, lets one oversized request through alone. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteBudget } from '../../src/runtime/byte-budget.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

test('requests wait until they fit, first come first served; an oversized one runs alone', async () => {
  const b = new ByteBudget(100);
  const log: string[] = [];
  await b.acquire(60);
  const second = b.acquire(50).then(() => log.push('50'));
  const third = b.acquire(10).then(() => log.push('10')); // fits now, but waits behind the 50
  await flush();
  assert.equal(log.length, 0);
  b.release(60);
  await Promise.all([second, third]);
  assert.deepEqual(log, ['50', '10']);
  assert.equal(b.inUse, 60);
  const big = b.acquire(500).then(() => log.push('500'));
  await flush();
  assert.equal(log.length, 2, 'the oversized request waits for the budget to empty');
  b.release(50);
  b.release(10);
  await big;
  assert.equal(b.inUse, 500);
  b.release(500);
  assert.equal(b.inUse, 0);
  assert.throws(() => new ByteBudget(0), /Expected positive number for byte budget/);
});
