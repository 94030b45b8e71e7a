/**
 * Background scoring jobs: `POST /api/jobs` names slides under the slide roots; they are scored
 * one job at a time by the batch runner (`runSlideBatch`, the same code as `focuslite slide`)
 * into the served output folder. Listeners (server-sent events) hear every change of a job.
 */
import { EventEmitter } from 'node:events';
import type { FocusLiteModel } from '../core/model.js';
import { runSlideBatch, type SlideQcOptions, type SlideSummaryRow } from '../pipeline/slide-batch.js';
import { createComputeEngine } from '../runtime/compute-engine.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed';

export interface JobSlide {
  slide: string;
  status: 'queued' | 'running' | SlideSummaryRow['status'];
  cropsDone: number;
  cropsTotal: number;
  error: string;
  name: string;
}

export interface Job {
  id: string;
  state: JobState;
  created: string;
  finished: string | null;
  slides: JobSlide[];
  error: string;
}

export interface JobSettings {
  model: FocusLiteModel;
  modelLabel: string;
  threshold: number;
  threads: number;
  outDir: string;
  maxBlurShare?: number;
  minTissue?: number;
}

/** Jobs kept in memory for `GET /api/jobs/<id>` (the oldest finished ones are forgotten). */
const KEEP_JOBS = 100;

export class JobRunner extends EventEmitter {
  private readonly jobs = new Map<string, Job>();
  private queue: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(private readonly settings: JobSettings) {
    super();
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  list(): Job[] {
    return [...this.jobs.values()];
  }

  /** Queue a job over already checked slide paths; returns it at once. */
  submit(slides: readonly string[], force: boolean): Job {
    const id = `job-${Date.now().toString(36)}-${(++this.seq).toString(36)}`;
    const job: Job = {
      id, state: 'queued', created: new Date().toISOString(), finished: null, error: '',
      slides: slides.map((s) => ({ slide: s, status: 'queued', cropsDone: 0, cropsTotal: 0, error: '', name: '' })),
    };
    this.jobs.set(id, job);
    this.trim();
    this.queue = this.queue.then(() => this.run(job, force));
    this.emit('change', job);
    return job;
  }

  /** Resolves when every queued job has finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  private trim(): void {
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= KEEP_JOBS) break;
      if (j.state === 'done' || j.state === 'failed') this.jobs.delete(id);
    }
  }

  private async run(job: Job, force: boolean): Promise<void> {
    job.state = 'running';
    this.emit('change', job);
    const s = this.settings;
    const engine = createComputeEngine(s.model, s.threads);
    const opts: SlideQcOptions = {
      outDir: s.outDir, threshold: s.threshold, maxBlurShare: s.maxBlurShare ?? 0.1, minTissue: s.minTissue ?? 0.5, force,
      modelLabel: s.modelLabel,
    };
    let current = -1;
    try {
      await runSlideBatch(job.slides.map((x) => x.slide), s.model, engine, opts, {
        onSlideStart: (i) => {
          current = i;
          job.slides[i]!.status = 'running';
          this.emit('change', job);
        },
        onSlideProgress: (done, total) => {
          const js = job.slides[current];
          if (js) {
            js.cropsDone = done;
            js.cropsTotal = total;
            this.emit('progress', job);
          }
        },
        onSlideEnd: (i, row) => {
          const js = job.slides[i]!;
          js.status = row.status;
          js.error = row.error;
          js.name = row.name;
          this.emit('change', job);
        },
      });
      job.state = 'done';
    } catch (err) {
      job.state = 'failed';
      job.error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    } finally {
      await engine.close();
      job.finished = new Date().toISOString();
      this.emit('change', job);
      this.emit('finished', job);
    }
  }
}
