/**
 * The WebAssembly SIMD backend of the measures' 1-D filters (assembly/filters.ts, embedded as
 * base64 by scripts/build-wasm-filters.mjs). Pure TS: instantiates synchronously, no platform
 * imports. Same bits as ./imfilter.ts (see assembly/filters.ts), 4-6x faster.
 *
 * Memory: one instance is kept for requests up to KEEP_BYTES (2 + one per chain planes of 8 bytes a pixel);
 * a larger request gets a throw-away instance, so one big image does not pin its memory for the
 * life of the process (WebAssembly memory never shrinks).
 */
import { compiledOnce, decodeBase64, wasmApi, type WasmMemory } from '../wasm.js';
import type { FilterChain, FilterChainsBackend } from './filter-types.js';
import { FILTERS_WASM_BASE64 } from './filters-wasm-binary.js';
import type { Plane } from './gray.js';

interface FilterExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  filterRows(src: number, dst: number, width: number, rows: number, taps: number, n: number, padded: number): void;
  filterColumns(src: number, dst: number, width: number, rows: number, taps: number, n: number, tile: number): void;
}

const PAGE = 65536;
const KEEP_BYTES = 128 * 1024 * 1024;
/** wasm32 addresses: stay well below 4 GiB */
const MAX_BYTES = 3 * 1024 * 1024 * 1024;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;


/** The filters module (filters and FFT share it), compiled once. */
export const filtersModule = compiledOnce(() => decodeBase64(FILTERS_WASM_BASE64), 'the filter module');

function instantiate(): FilterExports {
  return new (wasmApi().Instance)(filtersModule(), {}).exports as FilterExports;
}

function ensureMemory(ex: FilterExports, bytes: number): void {
  const have = ex.memory.buffer.byteLength;
  if (bytes > have) ex.memory.grow(Math.ceil((bytes - have) / PAGE));
}

let kept: FilterExports | null = null;

/**
 * Run the chains in wasm memory: the plane is copied in once, each chain's steps alternate between
 * its output plane and a scratch plane so that the last lands in the output, and the outputs are
 * returned as views of wasm memory (valid until the next call, which may move or reuse them).
 */
function runChains(g: Plane, chains: readonly FilterChain[]): Float64Array[] {
  const { width, height } = g;
  const planeBytes = align16(width * height * 8);
  let maxTaps = 1, tapBytes = 0;
  for (const chain of chains) {
    for (const step of chain) {
      maxTaps = Math.max(maxTaps, step.taps.length);
      tapBytes += align16(step.taps.length * 8);
    }
  }
  // taps | padded row | column tile | input plane | scratch plane | one plane per chain
  const fixed = tapBytes + align16((width + maxTaps) * 8) + align16((height + maxTaps) * 64);
  const need = fixed + (2 + chains.length) * planeBytes + 64;
  if (need > MAX_BYTES) throw new Error(`a ${width}x${height} plane is too large for the WebAssembly filters`);
  const ex = need <= KEEP_BYTES ? (kept ??= instantiate()) : instantiate();
  const base = align16(ex.heapBase());
  ensureMemory(ex, base + need);
  const f64 = new Float64Array(ex.memory.buffer);
  let at = base;
  const take = (bytes: number): number => {
    const p = at;
    at += align16(bytes);
    return p;
  };
  const tapsAt: number[][] = chains.map((chain) =>
    chain.map((step) => {
      const p = take(step.taps.length * 8);
      f64.set(step.taps, p / 8);
      return p;
    }),
  );
  const padded = take((width + maxTaps) * 8);
  const tile = take((height + maxTaps) * 64);
  const input = take(planeBytes);
  const tmp = take(planeBytes);
  const outputs = chains.map(() => take(planeBytes));
  f64.set(g.data, input / 8);
  const n = width * height;
  return chains.map((chain, ci) => {
    const out = outputs[ci]!;
    if (chain.length === 0) f64.set(g.data, out / 8);
    let src = input;
    chain.forEach((step, si) => {
      const dst = (chain.length - 1 - si) % 2 === 0 ? out : tmp;
      const taps = tapsAt[ci]![si]!;
      if (step.axis === 'x') ex.filterRows(src, dst, width, height, taps, step.taps.length, padded);
      else ex.filterColumns(src, dst, width, height, taps, step.taps.length, tile);
      src = dst;
    });
    return f64.subarray(out / 8, out / 8 + n);
  });
}

/** The wasm backend; throws (with the reason) where WebAssembly SIMD is unavailable. */
export function createWasmFilterBackend(): FilterChainsBackend {
  filtersModule();
  return { name: 'wasm-simd', run: runChains };
}
