/** WorkerPool: per-task results, error replies, crashes, size validation, close(). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/runtime/worker-pool.js';
import { createComputeEngine } from '../../src/runtime/compute-engine.js';
import { createModel } from '../../src/core/model.js';

const ECHO = new URL('./fixtures/echo-worker.js', import.meta.url);

interface Echo {
  echo: unknown;
  workerData: unknown;
  threadId: number;
}

test('each task resolves with its own worker reply; workerData reaches every worker; all workers are used', async () => {
  const pool = new WorkerPool(ECHO, 2, { tag: 'init-data' });
  try {
    assert.equal(pool.size, 2);
    // Uneven delays so replies come back out of submission order.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => pool.run<Echo>({ echo: { i, text: `task ${i}` }, delayMs: (i * 7) % 5 })));
    assert.deepEqual(results.map((r) => r.echo), Array.from({ length: 12 }, (_, i) => ({ i, text: `task ${i}` })));
    for (const r of results) assert.deepEqual(r.workerData, { tag: 'init-data' });
    assert.equal(new Set(results.map((r) => r.threadId)).size, 2, 'both workers took tasks');
  } finally {
    await pool.close();
  }
});

test('transferred buffers arrive intact', async () => {
  const pool = new WorkerPool(ECHO, 1);
  try {
    const buf = new Uint8Array([1, 2, 3, 250]).buffer;
    const r = await pool.run<Echo>({ echo: buf }, [buf]);
    assert.equal(buf.byteLength, 0, 'the buffer was transferred, not copied');
    assert.deepEqual([...new Uint8Array(r.echo as ArrayBuffer)], [1, 2, 3, 250]);
  } finally {
    await pool.close();
  }
});

test('an error reply rejects that task with the worker message; the pool keeps working', async () => {
  const pool = new WorkerPool(ECHO, 2);
  try {
    const [bad, good] = await Promise.allSettled([pool.run({ fail: 'image.png: crop outside the image' }), pool.run<Echo>({ echo: 7 })]);
    assert.equal(bad.status, 'rejected');
    assert.equal((bad as PromiseRejectedResult).reason.message, 'image.png: crop outside the image');
    assert.equal(good.status, 'fulfilled');
    assert.equal((good as PromiseFulfilledResult<Echo>).value.echo, 7);
    assert.equal((await pool.run<Echo>({ echo: 'after' })).echo, 'after');
  } finally {
    await pool.close();
  }
});

test('a crashing worker rejects its task with the crash message; the other worker carries on', async () => {
  const pool = new WorkerPool(ECHO, 2);
  try {
    await assert.rejects(pool.run({ throwUncaught: 'boom in worker' }), { message: 'worker crashed: boom in worker' });
    assert.equal(pool.size, 1);
    const rest = await Promise.all([1, 2, 3].map((i) => pool.run<Echo>({ echo: i })));
    assert.deepEqual(rest.map((r) => r.echo), [1, 2, 3]);
    await assert.rejects(pool.run({ exit: 3 }), { message: 'worker crashed: worker exited with code 3' });
    assert.equal(pool.size, 0);
    // With every worker gone, new tasks are rejected at once instead of waiting forever.
    await assert.rejects(pool.run({ echo: 4 }), { message: 'all workers crashed: worker exited with code 3' });
  } finally {
    await pool.close();
  }
});

test('workers failing at start-up reject queued and later tasks (no hang)', async () => {
  const pool = new WorkerPool(ECHO, 2, { failAtStartup: 'cannot load model' });
  try {
    const first = await Promise.allSettled([1, 2, 3, 4].map((i) => pool.run({ echo: i })));
    for (const r of first) {
      assert.equal(r.status, 'rejected');
      assert.match((r as PromiseRejectedResult).reason.message, /^(worker|all workers) crashed: cannot load model$/);
    }
    await assert.rejects(pool.run({ echo: 5 }), { message: 'all workers crashed: cannot load model' });
  } finally {
    await pool.close();
  }
});

test('invalid pool sizes are refused with the threads message', () => {
  for (const size of [0, -1, 257, 1.5, Number.NaN]) {
    assert.throws(() => new WorkerPool(ECHO, size), { message: `Expected integer between 1 and 256 for threads but received ${size}` });
  }
  assert.throws(() => new WorkerPool(ECHO, 0), { message: 'Expected integer between 1 and 256 for threads but received 0' });
  const model = createModel({ kernels: 1, convWeight: new Array(147).fill(0.01), convBias: [0] });
  assert.throws(() => createComputeEngine(model, 0), { message: 'Expected integer between 1 and 256 for threads but received 0' });
});

test('close() rejects queued and running tasks; run() after close is rejected', async () => {
  const pool = new WorkerPool(ECHO, 1);
  // The expectations are attached before close() so no rejection is ever unhandled.
  const checks = [
    assert.rejects(pool.run({ echo: 'slow', delayMs: 5000 }), { message: 'worker pool closed' }),
    assert.rejects(pool.run({ echo: 'q1' }), { message: 'worker pool closed' }),
    assert.rejects(pool.run({ echo: 'q2' }), { message: 'worker pool closed' }),
  ];
  await pool.close();
  await Promise.all(checks);
  await assert.rejects(pool.run({ echo: 'late' }), { message: 'worker pool is closed' });
});
