/** The compute engine: calling thread + n - 1 workers, one thread = inline only; the kernel picker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadId } from 'node:worker_threads';
import { createEngine } from '../../src/runtime/engine.js';
import { pickKernel } from '../../src/runtime/kernel.js';
import { registeredKernels } from '../../src/core/kernels/index.js';
import { threadHandler, type ThreadResult, type ThreadTask } from './fixtures/thread-handler.js';

const WORKER = new URL('./fixtures/thread-worker.js', import.meta.url);

test('one thread runs every task inline, on the calling thread, and closes the handler', async () => {
  let closed = 0;
  const engine = createEngine<ThreadTask, ThreadResult>({ threads: 1, inline: threadHandler('inline', threadId, () => closed++), worker: WORKER, workerData: { tag: 'worker' } });
  const results = await Promise.all([0, 1, 2].map((i) => engine.run({ i })));
  assert.deepEqual(results.map((r) => [r.i, r.tag, r.threadId]), [[0, 'inline', threadId], [1, 'inline', threadId], [2, 'inline', threadId]]);
  await assert.rejects(engine.run({ i: 3, fail: 'bad task' }), { message: 'bad task' });
  await engine.close();
  assert.equal(closed, 1);
});

test('two threads: one worker plus the calling thread, results in submission order', async () => {
  let closed = 0;
  const engine = createEngine<ThreadTask, ThreadResult>({ threads: 2, inline: threadHandler('inline', threadId, () => closed++), worker: WORKER, workerData: { tag: 'worker' } });
  try {
    assert.equal(engine.threads, 2);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => engine.run({ i, spinMs: 20 })));
    assert.deepEqual(results.map((r) => r.i), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(results.map((r) => Array.from(r.data)), [[0], [1], [2], [3], [4], [5]]);
    // the first task goes to the free worker, the second to the calling thread
    assert.equal(results[0]!.tag, 'worker');
    assert.notEqual(results[0]!.threadId, threadId);
    assert.equal(results[1]!.tag, 'inline');
    assert.equal(results[1]!.threadId, threadId);
    await assert.rejects(engine.run({ i: 9, fail: 'worker-side failure' }), { message: 'worker-side failure' });
  } finally {
    await engine.close();
  }
  assert.equal(closed, 1);
});

test('a bad thread count is refused with the standard message', () => {
  for (const threads of [0, 257, 1.5]) {
    assert.throws(() => createEngine({ threads, inline: threadHandler('x', 0), worker: WORKER, workerData: {} }), {
      message: `Expected integer between 1 and 256 for threads but received ${threads}`,
    });
  }
});

test('pickKernel: a name wins, an empty name counts as none, then FOCUSLITE_KERNEL, then the priority choice', () => {
  const saved = process.env.FOCUSLITE_KERNEL;
  try {
    delete process.env.FOCUSLITE_KERNEL;
    // the priority choice: the first registered backend that initialises here
    const best = pickKernel().name;
    assert.ok(registeredKernels().includes(best));
    assert.equal(pickKernel('').name, best);
    assert.equal(pickKernel('reference').name, 'reference');
    process.env.FOCUSLITE_KERNEL = 'reference';
    assert.equal(pickKernel().name, 'reference');
    assert.equal(pickKernel('').name, 'reference', 'an empty name falls through to FOCUSLITE_KERNEL');
    assert.equal(pickKernel(best).name, best, 'an explicit name beats the environment');
    process.env.FOCUSLITE_KERNEL = '';
    assert.equal(pickKernel().name, best, 'an empty FOCUSLITE_KERNEL counts as unset');
    assert.throws(() => pickKernel('no-such-kernel'), /Unknown kernel "no-such-kernel"/);
  } finally {
    if (saved === undefined) delete process.env.FOCUSLITE_KERNEL;
    else process.env.FOCUSLITE_KERNEL = saved;
  }
});
