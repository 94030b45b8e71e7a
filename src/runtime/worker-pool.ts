/**
 * A small worker_threads pool: a fixed number of workers running one script, tasks queued FIFO,
 * each task resolved with its worker's reply. Workers receive `workerData` once at start-up
 * (e.g. the model), then `{ id, payload }` messages, and reply `{ id, result }` or `{ id, error }`.
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import { threads as checkThreads } from '../core/check.js';

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
  /** set once every worker has crashed: later tasks are rejected with it instead of waiting forever */
  private deadReason: string | null = null;

  constructor(script: URL, size: number, workerData?: unknown) {
    checkThreads(size);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData });
      worker.on('message', (msg: WorkerReply) => this.onReply(worker, msg));
      worker.on('error', (err) => this.onCrash(worker, err));
      // A worker that exits on its own (process.exit in the script) is lost like a crashed one.
      worker.on('exit', (code) => {
        if (!this.closed) this.onCrash(worker, new Error(`worker exited with code ${code}`));
      });
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
    if (this.deadReason !== null) return Promise.reject(new Error(`all workers crashed: ${this.deadReason}`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, payload, transfer, pending: { resolve: resolve as (v: unknown) => void, reject } });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.queue.splice(0)) t.pending.reject(new Error('worker pool closed'));
    // Tasks still running when the pool closes would otherwise never settle.
    for (const t of this.inFlight.values()) t.pending.reject(new Error('worker pool closed'));
    this.inFlight.clear();
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
    // 'exit' follows 'error' for the same worker: handle each worker once.
    const i = this.all.indexOf(worker);
    if (i < 0) return;
    const task = this.inFlight.get(worker);
    this.inFlight.delete(worker);
    task?.pending.reject(new Error(`worker crashed: ${err.message}`));
    // A crashed worker is not reused (it may have crashed while idle, e.g. at start-up); the remaining ones carry on.
    this.all.splice(i, 1);
    const j = this.idle.indexOf(worker);
    if (j >= 0) this.idle.splice(j, 1);
    if (this.all.length === 0) {
      this.deadReason = err.message;
      for (const t of this.queue.splice(0)) t.pending.reject(new Error(`all workers crashed: ${err.message}`));
    }
    this.dispatch();
  }
}
