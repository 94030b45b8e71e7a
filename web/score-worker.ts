/**
 * In-page scoring, off the main thread: the project's core package (model, crop grid, scale rule)
 * and its WebAssembly SIMD conv kernel, bundled for the browser. The page sends decoded RGB
 * pixels and the weights; nothing leaves the browser.
 */
import { resolveKernel } from '../src/core/kernels/index.js';
import { scoreRgbImage } from '../src/core/score.js';
import { modelFromJson } from '../src/core/weights.js';

export interface ScoreRequest { width: number; height: number; rgb: Uint8Array; weights: unknown; label: string }
export interface ScoreReply {
  ok: boolean; error?: string; score?: number; crops?: number[]; rows?: number; cols?: number; xs?: number[]; ys?: number[];
  kernel?: string; kernels?: number; scale?: string; ms?: number;
}

self.onmessage = (ev: MessageEvent<ScoreRequest>) => {
  const { width, height, rgb, weights, label } = ev.data;
  try {
    const t0 = performance.now();
    const model = modelFromJson(weights, label);
    const kernel = resolveKernel();
    const r = scoreRgbImage(model, kernel, { width, height, data: rgb }, { label });
    const reply: ScoreReply = {
      ok: true, score: r.score, crops: Array.from(r.crops), rows: r.grid.rows, cols: r.grid.cols, xs: [...r.grid.xs], ys: [...r.grid.ys],
      kernel: kernel.name, kernels: model.kernels, scale: model.scale, ms: performance.now() - t0,
    };
    self.postMessage(reply);
  } catch (err) {
    self.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ScoreReply);
  }
};
