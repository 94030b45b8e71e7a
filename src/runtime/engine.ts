/**
 * The one compute engine: n threads = the calling thread plus a pool of n - 1 workers. With one
 * thread everything runs inline (no worker at all). Using the calling thread as one of the n
 * matters on small machines: it is otherwise mostly idle waiting for decodes or for the workers,
 * and an extra worker only adds contention (measured on 2 cores: two workers were slower than one
 * inline thread).
 *
 * A task goes to a free worker, else to the calling thread when it is free, else it queues for
 * the pool. Both sides run the same handler (the worker entry builds it with `serveTasks`), so
 * where a task ran never changes its result.
 */
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { threads as checkThreads } from '../core/check.js';
import { WorkerPool } from './worker-pool.js';

/** What runs one task, in the calling thread or in a worker. */
export interface TaskHandler<P, R> {
  /** may be asynchronous (ONNX Runtime runs a session on its own threads) */
  run(payload: P): R | Promise<R>;
  /**
   * In a worker: the reply to post and the buffers to transfer with it (results may hold views
   * of reused buffers, which must be copied before transfer). Default: the result, no transfer.
   */
  reply?(result: R): { result: R; transfer: readonly TransferListItem[] };
  close?(): void | Promise<void>;
}

export interface EngineOptions<P, R> {
  /** total compute threads, 1..256, the calling thread included */
  threads: number;
  /** the handler for the calling thread */
  inline: TaskHandler<P, R>;
  /** the worker entry script (it calls `serveTasks`) and what each worker receives once */
  worker: URL;
  workerData: unknown;
}

export interface Engine<P, R> {
  readonly threads: number;
  /** run one task; `transfer` lists buffers of the payload a worker may take over */
  run(payload: P, transfer?: readonly TransferListItem[]): Promise<R>;
  close(): Promise<void>;
}

export function createEngine<P, R>(options: EngineOptions<P, R>): Engine<P, R> {
  const threads = checkThreads(options.threads);
  const { inline } = options;
  // Yield to the event loop first so work already finished (decodes, worker replies) can be
  // handed on before this thread blocks on a task.
  const runInline = (payload: P): Promise<R> =>
    new Promise((resolve, reject) => setImmediate(() => {
      try {
        Promise.resolve(inline.run(payload)).then(resolve, reject);
      } catch (err) {
        reject(err);
      }
    }));
  const closeInline = async (): Promise<void> => inline.close?.();
  if (threads === 1) return { threads, run: runInline, close: closeInline };

  const pool = new WorkerPool(options.worker, threads - 1, options.workerData);
  let poolBusy = 0;
  let inlineBusy = false;
  const toPool = (payload: P, transfer: readonly TransferListItem[]): Promise<R> => {
    poolBusy++;
    return pool.run<R>(payload, transfer).finally(() => poolBusy--);
  };
  return {
    threads,
    run(payload, transfer = []) {
      if (poolBusy < pool.size) return toPool(payload, transfer);
      if (!inlineBusy) {
        inlineBusy = true;
        return runInline(payload).finally(() => {
          inlineBusy = false;
        });
      }
      return toPool(payload, transfer);
    },
    close: async () => {
      await pool.close();
      await closeInline();
    },
  };
}

/**
 * Worker entry: builds the handler from the pool's workerData once (it may be built
 * asynchronously, e.g. an ONNX Runtime session), then answers each `{ id, payload }` with
 * `{ id, result }` or `{ id, error }` (the WorkerPool protocol). A handler that cannot be built
 * answers every task with that error.
 */
export function serveTasks<I, P, R>(makeHandler: (init: I) => TaskHandler<P, R> | Promise<TaskHandler<P, R>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs only in a worker thread');
  const handler = Promise.resolve().then(() => makeHandler(workerData as I));
  handler.catch(() => {}); // reported with each task below
  port.on('message', (msg: { id: number; payload: P }) => {
    handler
      .then(async (h) => {
        const result = await h.run(msg.payload);
        const out = h.reply ? h.reply(result) : { result, transfer: [] };
        port.postMessage({ id: msg.id, result: out.result }, out.transfer);
      })
      .catch((err: unknown) => {
        port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
      });
  });
}
