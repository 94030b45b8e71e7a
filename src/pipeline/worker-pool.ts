/**
 * A small worker_threads pool: a fixed number of workers running one script, tasks queued FIFO,
 * each task resolved with its worker's reply. Workers receive `workerData` once at start-up
 * (e.g. the model), then `{ id, payload }` messages, and reply `{ id, result }` or `{ id, error }`.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface QueuedTask {
  id: number;
  payload: unknown;
  transfer: readonly TransferListItem[];
  pending: Pending;
}

export interface WorkerReply {
  id: number;
  result?: unknown;
  error?: string;
}

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: QueuedTask[] = [];
  private readonly inFlight = new Map<Worker, QueuedTask>();
  private nextId = 0;
  private closed = false;

  constructor(script: URL, size: number, workerData?: unknown) {
    if (!Number.isInteger(size) || size < 1 || size > 256) {
      throw new Error(`Expected integer between 1 and 256 for threads but received ${size}`);
    }
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData });
      worker.on('message', (msg: WorkerReply) => this.onReply(worker, msg));
      worker.on('error', (err) => this.onCrash(worker, err));
      worker.unref();
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  get size(): number {
    return this.all.length;
  }

  /** Queue a task; resolves with the worker's result, rejects with its error message. */
  run<T>(payload: unknown, transfer: readonly TransferListItem[] = []): Promise<T> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, payload, transfer, pending: { resolve: resolve as (v: unknown) => void, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.pending.reject(new Error('worker pool closed'));
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.inFlight.set(worker, task);
      worker.ref();
      worker.postMessage({ id: task.id, payload: task.payload }, task.transfer);
    }
  }

  private onReply(worker: Worker, msg: WorkerReply): void {
    const task = this.inFlight.get(worker);
    this.inFlight.delete(worker);
    worker.unref();
    this.idle.push(worker);
    if (task && task.id === msg.id) {
      if (msg.error !== undefined) task.pending.reject(new Error(msg.error));
      else task.pending.resolve(msg.result);
    }
    this.dispatch();
  }

  private onCrash(worker: Worker, err: Error): void {
    const task = this.inFlight.get(worker);
    this.inFlight.delete(worker);
    task?.pending.reject(new Error(`worker crashed: ${err.message}`));
    // A crashed worker is not reused; the remaining ones carry on.
    const i = this.all.indexOf(worker);
    if (i >= 0) this.all.splice(i, 1);
    if (this.all.length === 0) {
      for (const t of this.queue.splice(0)) t.pending.reject(new Error(`all workers crashed: ${err.message}`));
    }
    this.dispatch();
  }
}
