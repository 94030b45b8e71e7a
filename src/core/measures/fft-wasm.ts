/**
 * The WebAssembly SIMD 2-D FFT for power-of-two planes (assembly/filters.ts `fftRows`,
 * `transpose`; the same embedded module as the 1-D filters). Pure TS: instantiates synchronously,
 * no platform imports. Rows are transformed in place, the plane transposed, its rows (the columns)
 * transformed, and transposed back. Twiddles come from the TypeScript FFT's cos/sin table
 * (./fft.ts `twiddles`), so the two differ only in summation order (radix 2 here): a few ulps,
 * tested. Installed into ./fft.ts by ./register-indices.ts where WebAssembly SIMD works.
 *
 * Memory: one instance is kept for planes up to KEEP_BYTES; larger ones get a throw-away instance,
 * so one big image does not pin its memory for the life of the process (wasm memory never shrinks).
 */
import { wasmApi, type WasmMemory } from '../wasm.js';
import { filtersModule } from './filter-wasm.js';
import { twiddles, type Fft2Accelerator } from '../fft.js';

interface FftExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  fftRows(re: number, im: number, n: number, count: number, twr: number, twi: number, rev: number, inverse: number): void;
  transpose(src: number, dst: number, width: number, height: number): void;
}

const PAGE = 65536;
const KEEP_BYTES = 96 * 1024 * 1024;
const MAX_BYTES = 3 * 1024 * 1024 * 1024;
/** Below this many values the copies in and out cost more than the TypeScript loops save. */
const MIN_VALUES = 64 * 64;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;
const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

const instantiate = (): FftExports => new (wasmApi().Instance)(filtersModule(), {}).exports as FftExports;

/** Per length: stage twiddles (stage m at offset m - 1) and the bit-reversal table. */
interface AxisTables {
  readonly twr: Float64Array;
  readonly twi: Float64Array;
  readonly rev: Uint32Array;
}
const tables = new Map<number, AxisTables>();
function axisTables(n: number): AxisTables {
  let t = tables.get(n);
  if (!t) {
    const { cos, sin } = twiddles(n);
    const twr = new Float64Array(Math.max(1, n - 1)), twi = new Float64Array(Math.max(1, n - 1));
    for (let m = 1; m < n; m <<= 1) {
      // exp(-i pi k / m) = table entry k n / (2m), with the table's +sin negated
      for (let k = 0; k < m; k++) {
        twr[m - 1 + k] = cos[(k * n) / (2 * m)]!;
        twi[m - 1 + k] = -sin[(k * n) / (2 * m)]!;
      }
    }
    const bits = Math.round(Math.log2(n));
    const rev = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
      rev[i] = r >>> 0;
    }
    t = { twr, twi, rev };
    tables.set(n, t);
  }
  return t;
}

let kept: FftExports | null = null;

function run(re: Float64Array, im: Float64Array, width: number, height: number, inverse: boolean): boolean {
  if (!isPowerOfTwo(width) || !isPowerOfTwo(height) || width * height < MIN_VALUES) return false;
  const n = width * height;
  const planeBytes = align16(n * 8);
  const tx = axisTables(width), ty = axisTables(height);
  const tabBytes = (t: AxisTables): number => 2 * align16(t.twr.length * 8) + align16(t.rev.length * 4);
  const need = 4 * planeBytes + tabBytes(tx) + tabBytes(ty) + 64;
  if (need > MAX_BYTES) return false;
  const ex = need <= KEEP_BYTES ? (kept ??= instantiate()) : instantiate();
  const base = align16(ex.heapBase());
  const have = ex.memory.buffer.byteLength;
  if (base + need > have) ex.memory.grow(Math.ceil((base + need - have) / PAGE));
  const buf = ex.memory.buffer;
  let at = base;
  const take = (bytes: number): number => {
    const p = at;
    at += align16(bytes);
    return p;
  };
  const place = (t: AxisTables): { twr: number; twi: number; rev: number } => {
    const twr = take(t.twr.length * 8), twi = take(t.twi.length * 8), rev = take(t.rev.length * 4);
    new Float64Array(buf, twr, t.twr.length).set(t.twr);
    new Float64Array(buf, twi, t.twi.length).set(t.twi);
    new Uint32Array(buf, rev, t.rev.length).set(t.rev);
    return { twr, twi, rev };
  };
  const px = place(tx), py = place(ty);
  const r0 = take(planeBytes), i0 = take(planeBytes), r1 = take(planeBytes), i1 = take(planeBytes);
  new Float64Array(buf, r0, n).set(re);
  new Float64Array(buf, i0, n).set(im);
  const inv = inverse ? 1 : 0;
  ex.fftRows(r0, i0, width, height, px.twr, px.twi, px.rev, inv);
  ex.transpose(r0, r1, width, height);
  ex.transpose(i0, i1, width, height);
  ex.fftRows(r1, i1, height, width, py.twr, py.twi, py.rev, inv);
  ex.transpose(r1, r0, height, width);
  ex.transpose(i1, i0, height, width);
  re.set(new Float64Array(buf, r0, n));
  im.set(new Float64Array(buf, i0, n));
  return true;
}

/** The accelerator for ./fft.ts; throws (with the reason) where WebAssembly SIMD is unavailable. */
export function createWasmFft2(): Fft2Accelerator {
  filtersModule();
  return run;
}
