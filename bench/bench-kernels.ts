/**
 * Conv+pool kernel benchmark: compute time per 1024x1024 image (the 49 crops of 235 at stride 128)
 * on one thread, for N = 1, 2, 10 kernels, each registered backend. Decoding is not included.
 *
 *   npm run bench:kernels [-- --runs 30]
 *
 * Reports the median (and minimum) wall time of `runs` timed calls after warm-up calls that let the
 * engine tier up, and the median CPU time of this process per call. On a busy shared machine the
 * wall-time median includes time spent waiting for a core: the CPU time and the minimum are the
 * steadier figures.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cropGrid } from '../src/core/grid.js';
import { createRgbImage, type RgbImage } from '../src/core/image.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../src/core/model.js';
import { gridOrigins } from '../src/core/score.js';
import { registeredKernels, resolveKernel } from '../src/core/kernels/index.js';
import type { ConvKernel, ConvWeights } from '../src/core/kernels/types.js';

export interface KernelTiming {
  /** median of the timed runs, milliseconds per image */
  readonly medianMs: number;
  readonly minMs: number;
  /** median CPU time (user + system) of this process per call: insensitive to waiting for a core */
  readonly medianCpuMs: number;
  readonly runsMs: readonly number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Deterministic xorshift generator in [0, 1), so every run benchmarks the same data. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Random weights of the trained models' magnitude (|w| <~ 0.1). */
export function randomWeights(kernels: number, seed = 1): ConvWeights {
  const next = random(seed);
  const convWeight = new Float32Array(kernels * 147);
  for (let i = 0; i < convWeight.length; i++) convWeight[i] = (next() - 0.5) * 0.2;
  const convBias = new Float32Array(kernels);
  for (let k = 0; k < kernels; k++) convBias[k] = next() - 0.5;
  return { kernels, convWeight, convBias };
}

/** Random 8-bit RGB image (the kernels' cost does not depend on content). */
export function randomImage(width: number, height: number, seed = 2): RgbImage {
  const next = random(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 256);
  return createRgbImage(width, height, data);
}

/**
 * Compute time of `kernel.pool` over the dense 235/128 crop grid of `image` (min pooling, no
 * args): median and minimum of `runs` timed calls after `warmup` untimed ones.
 */
export function benchKernel(kernel: ConvKernel, weights: ConvWeights, image: RgbImage, runs: number, warmup = Math.max(2, Math.ceil(runs / 4))): KernelTiming {
  if (!Number.isInteger(runs) || runs < 1 || runs > 10000) throw new Error(`Expected integer between 1 and 10000 for runs but received ${runs}`);
  const grid = cropGrid(image.width, image.height, DEFAULT_CROP, DEFAULT_STRIDE);
  const { xs, ys } = gridOrigins(grid);
  const req = { image, xs, ys, cropSize: DEFAULT_CROP };
  for (let i = 0; i < warmup; i++) kernel.pool(weights, req);
  const runsMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    kernel.pool(weights, req);
    runsMs.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuMs.push((c.user + c.system) / 1000);
  }
  return { medianMs: median(runsMs), minMs: Math.min(...runsMs), medianCpuMs: median(cpuMs), runsMs };
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--runs');
  const runs = at >= 0 ? Number(args[at + 1]) : 30;
  const image = randomImage(1024, 1024);
  console.log(`conv+pool compute per 1024x1024 image (49 crops of ${DEFAULT_CROP}), one thread, ms`);
  console.log('kernel      N   median     min  cpu-median   runs');
  for (const name of registeredKernels()) {
    const kernel = resolveKernel(name);
    // The float64 reference is ~100x slower: fewer runs keep the benchmark short.
    const n = name === 'reference' ? Math.min(runs, 3) : runs;
    for (const kernels of [1, 2, 10]) {
      const t = benchKernel(kernel, randomWeights(kernels), image, n, name === 'reference' ? 1 : undefined);
      console.log(`${name.padEnd(10)} ${String(kernels).padStart(2)} ${t.medianMs.toFixed(2).padStart(8)} ${t.minMs.toFixed(2).padStart(7)} ${t.medianCpuMs.toFixed(2).padStart(11)} ${String(n).padStart(6)}`);
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
