/**
 * `focuslite compare`: every image of a labelled dataset scored by every method, then the paper's
 * Table 1 on this data (SRCC, PLCC, ROC-AUC, PR-AUC, parameters, ms per 1024² image).
 *
 * Each image is decoded once into shared memory and handed to every method as one task, on the
 * measure engine (all threads, each building every method once). A method scores the image the
 * way the paper ran it (`nativeUnit`): FocusLiteNN and the deep models as the mean over the
 * 235/128 crop grid, the knowledge-based measures on the whole image.
 *
 * Failures never stop the comparison: an image that cannot be decoded is reported once and
 * scored by no method; a method that throws (or gives no finite score) on an image is reported
 * for that pair. Each method's metrics use the images it scored (its `n`), so one failing method
 * does not shrink the others' sets; the report says when sets differ.
 *
 * Timing (the paper's "CPU seconds per 1024² image"): each task's compute time on its thread —
 * crop cutting, conversions and the measure, decode excluded — scaled by 1024² / (width x height)
 * (exact for 1024² images such as FocusPath's), and the median over images, so the first calls of
 * each thread (JIT, WebAssembly compilation, ONNX Runtime warm-up) do not dominate small sets.
 */
import type { MeasureInfo, MeasureSpec } from '../core/measures/measure-spec.js';

import type { Dataset } from '../io/datasets/index.js';
import { decodeImage } from '../io/decode.js';
import { createMeasureEngine } from '../runtime/measure-engine.js';
import { defaultThreads } from '../runtime/threads.js';
import { evalTargets, type EvalTargets } from './evaluate-dataset.js';
import { evaluate, type Evaluation } from './metrics.js';

/** Pixels of the paper's timing unit. */
export const TIMING_PIXELS = 1024 * 1024;
/** Default --max-pixels of compare: the whole image is held (and the classic measures keep float64 planes of it). */
export const COMPARE_MAX_PIXELS = 4096 * 4096;

export interface CompareMethod {
  readonly spec: MeasureSpec;
  /** unique key (CSV column, JSON); default: the measure's name, made unique */
  readonly key?: string;
  /** label in the table and plots (default: the measure's label) */
  readonly label?: string;
  /** how it scores an image (default: the measure's nativeUnit) */
  readonly unit?: 'crops' | 'image';
}

export interface CompareOptions {
  threads?: number;
  maxPixels?: number;
  cropSize?: number;
  stride?: number;
  /** after each image (all its methods done), in completion order */
  onImage?(done: number, total: number): void;
  /** each failure as one line, when it happens */
  onFailure?(message: string): void;
}

export interface MethodFailure {
  readonly file: string;
  readonly error: string;
}

export interface MethodResult {
  readonly key: string;
  readonly label: string;
  readonly info: MeasureInfo;
  readonly unit: 'crops' | 'image';
  /** per dataset item; NaN where the method gave no score */
  readonly scores: Float64Array;
  /** compute ms per item (NaN where not scored) */
  readonly computeMs: Float64Array;
  readonly failures: MethodFailure[];
  /** over the items it scored; null with `metricsError` when undefined (e.g. constant scores) */
  readonly metrics: Evaluation | null;
  readonly metricsError?: string;
  /** median compute ms per 1024² image (NaN when nothing was scored) */
  readonly msPer1024: number;
  /** indices of the items it scored */
  readonly scored: number[];
}

export interface Comparison {
  readonly dataset: { format: Dataset['format']; list: string; images: string; n: number; positives?: number };
  readonly targets: EvalTargets;
  readonly items: ReadonlyArray<{ name: string; path: string; target: number; label?: number; width: number; height: number }>;
  readonly methods: MethodResult[];
  /** images no method could score (decode failures, too large) */
  readonly imageFailures: MethodFailure[];
  readonly threads: number;
  readonly seconds: number;
}

function uniqueKeys(wanted: string[]): string[] {
  const seen = new Map<string, number>();
  return wanted.map((k) => {
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k}-${n}`;
  });
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function compareMethods(dataset: Dataset, methods: readonly CompareMethod[], options: CompareOptions = {}): Promise<Comparison> {
  if (dataset.items.length === 0) throw new Error('Expected at least one image to compare on but the dataset is empty');
  if (methods.length === 0) throw new Error('Expected at least one method to compare');
  // Targets first: a CSV with half its labels missing fails before any scoring.
  const targets = evalTargets(dataset.format, dataset.items);
  const threads = options.threads ?? defaultThreads();
  const maxPixels = options.maxPixels ?? COMPARE_MAX_PIXELS;
  const cropSize = options.cropSize ?? 235;
  const stride = options.stride ?? 128;
  const engine = await createMeasureEngine(methods.map((m) => m.spec), threads);
  const n = dataset.items.length;
  const keys = uniqueKeys(methods.map((m, i) => m.key ?? engine.measures[i]!.name));
  const results = methods.map((m, i) => ({
    key: keys[i]!,
    label: m.label ?? engine.measures[i]!.label,
    info: engine.measures[i]!,
    unit: m.unit ?? engine.measures[i]!.nativeUnit,
    scores: new Float64Array(n).fill(NaN),
    computeMs: new Float64Array(n).fill(NaN),
    failures: [] as MethodFailure[],
  }));
  const sizes = dataset.items.map(() => ({ width: 0, height: 0 }));
  const imageFailures: MethodFailure[] = [];
  const fail = (list: MethodFailure[], file: string, error: string, what: string): void => {
    const msg = error.startsWith(file) ? error : `${file}: ${error}`;
    list.push({ file, error: msg });
    options.onFailure?.(what ? `${msg} (${what})` : msg);
  };

  const t0 = performance.now();
  let done = 0;
  const scoreImage = async (index: number): Promise<void> => {
    const item = dataset.items[index]!;
    try {
      let image;
      try {
        image = await decodeImage(item.path, item.path, { maxPixels });
      } catch (err) {
        fail(imageFailures, item.path, messageOf(err), 'image skipped by every method');
        return;
      }
      sizes[index] = { width: image.width, height: image.height };
      // one copy into shared memory: every method's task reads the same pixels, in any thread
      const shared = new SharedArrayBuffer(image.data.byteLength);
      new Uint8Array(shared).set(image.data);
      await Promise.all(results.map(async (r, m) => {
        try {
          const res = await engine.run({ width: image.width, height: image.height, pixels: shared, cropSize, stride, label: item.path, unit: r.unit, measure: m });
          if (!Number.isFinite(res.score)) {
            fail(r.failures, item.path, `${r.label} gives no score (${res.score})`, '');
            return;
          }
          r.scores[index] = res.score;
          r.computeMs[index] = res.computeMs;
        } catch (err) {
          fail(r.failures, item.path, `${r.label} failed: ${messageOf(err)}`, '');
        }
      }));
    } finally {
      options.onImage?.(++done, n);
    }
  };

  try {
    // a few images in flight: enough to keep every thread busy, bounded in memory
    const window = Math.max(2, threads + 1);
    let next = 0;
    const lanes = Array.from({ length: Math.min(window, n) }, async () => {
      while (next < n) await scoreImage(next++);
    });
    await Promise.all(lanes);
  } finally {
    await engine.close();
  }
  const seconds = (performance.now() - t0) / 1000;

  const methodsOut: MethodResult[] = results.map((r) => {
    const scored: number[] = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(r.scores[i]!)) scored.push(i);
    const perPixel = scored.map((i) => (r.computeMs[i]! * TIMING_PIXELS) / (sizes[i]!.width * sizes[i]!.height));
    let metrics: Evaluation | null = null;
    let metricsError: string | undefined;
    try {
      if (scored.length === 0) throw new Error('no image was scored');
      metrics = evaluate(scored.map((i) => r.scores[i]!), scored.map((i) => targets.target[i]!), targets.labels ? scored.map((i) => targets.labels![i]!) : undefined);
    } catch (err) {
      metricsError = messageOf(err);
    }
    return { ...r, metrics, ...(metricsError !== undefined ? { metricsError } : {}), msPer1024: median(perPixel), scored };
  });
  const positives = targets.labels ? targets.labels.reduce((a, b) => a + b, 0) : undefined;
  return {
    dataset: { format: dataset.format, list: dataset.listFile, images: dataset.imagesDir, n, ...(positives !== undefined ? { positives } : {}) },
    targets,
    items: dataset.items.map((it, i) => ({ name: it.name, path: it.path, target: it.target, ...(it.label !== undefined ? { label: it.label } : {}), ...sizes[i]! })),
    methods: methodsOut,
    imageFailures,
    threads: engine.threads,
    seconds,
  };
}

/** "3 of 55 images failed" style summary of every failure, for the report and stderr. */
export function failureCount(c: Comparison): number {
  return c.imageFailures.length + c.methods.reduce((a, m) => a + m.failures.length, 0);
}

