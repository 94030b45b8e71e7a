/**
 * Conv+pool kernels: the WebAssembly SIMD kernel against the float64 reference (random and real
 * weights and images, every crop phase mod 5, odd crop sizes, min/max/args), backend resolution,
 * and that the committed wasm binary is a fresh, deterministic build of assembly/conv.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, rng, sharedOnly, sharedPath } from '../helpers.js';
import { createRgbImage, type RgbImage } from '../../src/core/image.js';
import { convMapSize } from '../../src/core/model.js';
import { cropGrid } from '../../src/core/grid.js';
import { gridOrigins } from '../../src/core/score.js';
import { registeredKernels, resolveKernel } from '../../src/core/kernels/index.js';
import { registerKernel, unregisterKernel } from '../../src/core/kernels/registry.js';
import { convMap, referenceKernel } from '../../src/core/kernels/reference.js';
import { createWasmKernel, decodeBase64, wasmBinary } from '../../src/core/kernels/wasm.js';
import type { ConvWeights, PoolRequest } from '../../src/core/kernels/types.js';
import { WASM_BASE64 } from '../../src/core/kernels/wasm-binary.js';
import { decodeImage } from '../../src/io/decode.js';
import { importFocusLiteCheckpoint } from '../../src/io/torch/checkpoint.js';

const wasm = createWasmKernel();

function randomImage(width: number, height: number, seed: number): RgbImage {
  const next = rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(next() * 256);
  return createRgbImage(width, height, data);
}

/** Weights of the trained models' magnitude: |w| < 0.1, bias in [-0.5, 0.5). */
function randomWeights(kernels: number, seed: number): ConvWeights {
  const next = rng(seed);
  const convWeight = new Float32Array(kernels * 147).map(() => (next() - 0.5) * 0.2);
  const convBias = new Float32Array(kernels).map(() => next() - 0.5);
  return { kernels, convWeight, convBias };
}

/**
 * Asserts the wasm result matches the reference: values within 1e-5, positions identical unless
 * the reference map holds values within 1e-6 at both positions (a tie float32 may order either way).
 */
function assertMatchesReference(weights: ConvWeights, req: PoolRequest, label: string): void {
  const got = wasm.pool(weights, req);
  const want = referenceKernel.pool(weights, req);
  const n = weights.kernels;
  assert.equal(got.mins.length, want.mins.length, `${label}: mins length`);
  assert.equal(got.maxs === null, want.maxs === null, `${label}: maxs presence`);
  assert.equal(got.argMins === null, want.argMins === null, `${label}: argMins presence`);
  assert.equal(got.argMaxs === null, want.argMaxs === null, `${label}: argMaxs presence`);
  for (let i = 0; i < want.mins.length; i++) {
    const where = `${label}: crop ${Math.floor(i / n)} at (${req.xs[Math.floor(i / n)]},${req.ys[Math.floor(i / n)]}) kernel ${i % n}`;
    assert.ok(Math.abs(got.mins[i]! - want.mins[i]!) <= 1e-5, `${where}: min ${got.mins[i]} vs ${want.mins[i]}`);
    if (want.maxs) assert.ok(Math.abs(got.maxs![i]! - want.maxs[i]!) <= 1e-5, `${where}: max ${got.maxs![i]} vs ${want.maxs[i]}`);
    const pairs: Array<[Int32Array | null, Int32Array | null]> = [[got.argMins, want.argMins], [got.argMaxs, want.argMaxs]];
    for (const [g, w] of pairs) {
      if (!g || !w || g[i] === w[i]) continue;
      const c = Math.floor(i / n);
      const map = convMap(weights, i % n, req, req.xs[c]!, req.ys[c]!);
      assert.ok(g[i]! >= 0 && g[i]! < map.length, `${where}: position ${g[i]} outside the map`);
      assert.ok(Math.abs(map[g[i]!]! - map[w[i]!]!) <= 1e-6, `${where}: position ${g[i]} vs ${w[i]} (values ${map[g[i]!]} vs ${map[w[i]!]})`);
    }
  }
}

test('wasm matches the reference on 235 crops at every phase mod 5, touching every edge', () => {
  const image = randomImage(301, 262, 1);
  // x origins cover phases 0..4 (relative to each other and to the image), right/bottom edges touched.
  const xs = [0, 1, 2, 3, 4, 66, 33, 0, 66];
  const ys = [0, 3, 1, 4, 2, 27, 11, 27, 0];
  for (const n of [1, 2, 3, 10]) {
    assertMatchesReference(randomWeights(n, 10 + n), { image, xs, ys, cropSize: 235, wantMax: true, wantArgs: true }, `N=${n}`);
  }
});

test('wasm matches the reference for crop sizes 7, 12, 100, 236, 240 and non-square images', () => {
  const cases: Array<{ w: number; h: number; c: number; xs: number[]; ys: number[]; n: number }> = [
    { w: 20, h: 13, c: 7, xs: [0, 13, 5, 6, 7, 8, 9], ys: [0, 6, 2, 3, 4, 5, 1], n: 1 },
    { w: 50, h: 40, c: 12, xs: [0, 38, 17, 21, 22, 23, 24], ys: [0, 28, 5, 1, 2, 3, 4], n: 3 },
    { w: 157, h: 123, c: 100, xs: [0, 57, 31, 32, 33, 34], ys: [23, 0, 7, 8, 9, 10], n: 2 },
    { w: 300, h: 240, c: 236, xs: [0, 64, 1, 2, 3, 4], ys: [0, 4, 1, 2, 3, 4], n: 5 },
    { w: 250, h: 245, c: 240, xs: [0, 10, 6, 7, 8, 9], ys: [5, 0, 1, 2, 3, 4], n: 2 },
    { w: 90, h: 31, c: 31, xs: [0, 59, 20, 41], ys: [0, 0, 0, 0], n: 1 },
  ];
  for (const { w, h, c, xs, ys, n } of cases) {
    const image = randomImage(w, h, w * 7 + c);
    const weights = randomWeights(n, c);
    assertMatchesReference(weights, { image, xs, ys, cropSize: c, wantMax: true, wantArgs: true }, `${w}x${h} crop ${c} N=${n}`);
    assertMatchesReference(weights, { image, xs, ys, cropSize: c }, `${w}x${h} crop ${c} N=${n} min only`);
  }
});

test('wasm matches the reference on a dense grid, in any crop order, with repeats and gaps', () => {
  const image = randomImage(620, 700, 3);
  const grid = cropGrid(image.width, image.height, 235, 128);
  const { xs, ys } = gridOrigins(grid);
  const weights = randomWeights(2, 4);
  assertMatchesReference(weights, { image, xs, ys, cropSize: 235, wantMax: true }, 'dense grid');
  // Reversed and shuffled orders, a repeated crop, and rows far apart (the ring is refilled).
  const order = [...xs.keys()].reverse();
  assertMatchesReference(weights, { image, xs: order.map((i) => xs[i]!), ys: order.map((i) => ys[i]!), cropSize: 235, wantArgs: true }, 'reversed');
  assertMatchesReference(weights, { image, xs: [385, 0, 385, 100, 0], ys: [465, 0, 465, 230, 464], cropSize: 235, wantMax: true, wantArgs: true }, 'repeats and gaps');
});

test('wasm argmin/argmax take the first occurrence in row-major order on tied maps', () => {
  // A flat image makes every interior output equal: the first interior position must win.
  const image = createRgbImage(240, 240, new Uint8Array(240 * 240 * 3).fill(200));
  const weights = randomWeights(2, 5);
  const req = { image, xs: [0, 3], ys: [0, 5], cropSize: 235, wantMax: true, wantArgs: true };
  const got = wasm.pool(weights, req);
  const want = referenceKernel.pool(weights, req);
  assert.deepEqual([...got.argMins!], [...want.argMins!]);
  assert.deepEqual([...got.argMaxs!], [...want.argMaxs!]);
  // All-zero weights: every output is the bias, so both positions are 0.
  const flat = { kernels: 1, convWeight: new Float32Array(147), convBias: Float32Array.of(0.25) };
  const z = wasm.pool(flat, req);
  assert.deepEqual([...z.argMins!, ...z.argMaxs!], [0, 0, 0, 0]);
  assert.deepEqual([...z.mins], [0.25, 0.25]);
});

test('wasm handles large images, memory growth and buffer reuse across calls', () => {
  const big = randomImage(3100, 2400, 6);
  const small = randomImage(240, 240, 7);
  const weights = randomWeights(3, 8);
  const bigReq = { image: big, xs: [0, 2865, 1403, 7], ys: [2165, 0, 1000, 1001], cropSize: 235, wantMax: true, wantArgs: true };
  const smallReq = { image: small, xs: [5, 0], ys: [0, 5], cropSize: 235, wantMax: true, wantArgs: true };
  assertMatchesReference(weights, smallReq, 'small first');
  assertMatchesReference(weights, bigReq, 'big');
  assertMatchesReference(weights, smallReq, 'small after big');
  assertMatchesReference(randomWeights(1, 9), { image: big, xs: [1000], ys: [17], cropSize: 7, wantArgs: true }, 'tiny crop on big image');
});

test('wasm returns empty results for no crops and rejects what the reference rejects', () => {
  const image = randomImage(240, 240, 11);
  const weights = randomWeights(2, 12);
  const empty = wasm.pool(weights, { image, xs: [], ys: [], cropSize: 235, wantMax: true, wantArgs: true });
  assert.equal(empty.mins.length, 0);
  assert.equal(empty.argMaxs!.length, 0);
  const bad: PoolRequest[] = [
    { image, xs: [6], ys: [0], cropSize: 235 },
    { image, xs: [0], ys: [0, 1], cropSize: 235 },
    { image, xs: [0], ys: [0], cropSize: 6 },
    { image, xs: [0.5], ys: [0], cropSize: 100 },
  ];
  for (const req of bad) {
    let message = '';
    try {
      referenceKernel.pool(weights, req);
    } catch (err) {
      message = (err as Error).message;
    }
    assert.ok(message, 'reference should reject');
    assert.throws(() => wasm.pool(weights, req), { message });
  }
});

test('resolveKernel prefers wasm-simd, skips backends that fail, and resolves names', () => {
  assert.deepEqual(registeredKernels(), ['wasm-simd', 'reference']);
  assert.equal(resolveKernel().name, 'wasm-simd');
  assert.equal(resolveKernel('reference').name, 'reference');
  assert.throws(() => resolveKernel('no-such-kernel'), /Unknown kernel "no-such-kernel"/);
  // A preferred backend that cannot start is skipped; asked for by name, its reason is reported.
  registerKernel({ name: 'test-broken', priority: 1000, create: () => { throw new Error('no SIMD here'); } });
  try {
    assert.equal(resolveKernel().name, 'wasm-simd');
    assert.throws(() => resolveKernel('test-broken'), { message: 'No conv kernel could be initialised (test-broken: no SIMD here)' });
  } finally {
    // the registry is shared by every later test in this process
    assert.equal(unregisterKernel('test-broken'), true);
  }
  assert.deepEqual(registeredKernels(), ['wasm-simd', 'reference']);
  assert.equal(unregisterKernel('test-broken'), false);
});

test('createWasmKernel fails with a plain reason where WebAssembly is missing', () => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebAssembly')!;
  try {
    delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
    assert.throws(() => createWasmKernel(), { message: 'WebAssembly is not available in this environment' });
  } finally {
    Object.defineProperty(globalThis, 'WebAssembly', saved);
  }
  assert.equal(createWasmKernel().name, 'wasm-simd');
});

test('committed wasm/conv.wasm and wasm-binary.ts are a fresh deterministic build of assembly/conv.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-wasm-'));
  try {
    execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-wasm.mjs'), '--out-dir', dir], { stdio: 'pipe' });
    const fresh = readFileSync(join(dir, 'conv.wasm'));
    const committed = readFileSync(join(projectRoot, 'wasm', 'conv.wasm'));
    assert.ok(fresh.equals(committed), 'wasm/conv.wasm is stale: run npm run build:wasm and commit the result');
    assert.equal(readFileSync(join(dir, 'wasm-binary.ts'), 'utf8'), readFileSync(join(projectRoot, 'src', 'core', 'kernels', 'wasm-binary.ts'), 'utf8'));
    assert.ok(Buffer.from(wasmBinary()).equals(committed), 'wasm-binary.ts does not decode to wasm/conv.wasm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decodeBase64 matches Buffer on all lengths and rejects foreign characters', () => {
  const next = rng(13);
  for (let len = 0; len < 40; len++) {
    const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(next() * 256)));
    assert.deepEqual(Buffer.from(decodeBase64(bytes.toString('base64'))), bytes);
  }
  assert.ok(WASM_BASE64.length > 100);
  assert.throws(() => decodeBase64('ab$d'), /Invalid base64 character "\$" at 2/);
});

/** A copy: readFileSync may return a view into a shared pool (byteOffset != 0). */
const readCheckpoint = (name: string): Uint8Array => new Uint8Array(readFileSync(sharedPath('reference', 'official-checkpoints', name)));

interface CropsReference {
  crops: Array<{ x: number; y: number; min_per_kernel_float64_exact: number[] }>;
}

test('wasm reproduces the official 1-kernel crop minima on the out-of-focus TCGA patch', sharedOnly(), async () => {
  const model = importFocusLiteCheckpoint(readCheckpoint('focuslitenn-1kernel.pt'), 'focuslitenn-1kernel.pt');
  const image = await decodeImage(sharedPath('data', 'tcga-focus', 'out-of-focus_patch_i_9651_j_81514.png'));
  const ref = JSON.parse(readFileSync(sharedPath('reference', 'crops-1kernel-out-of-focus.json'), 'utf8')) as CropsReference;
  const crop0 = JSON.parse(readFileSync(sharedPath('reference', 'convmap-1kernel-out-of-focus-crop0.json'), 'utf8')) as { argmin_per_kernel_rc: number[][] };
  const xs = ref.crops.map((c) => c.x);
  const ys = ref.crops.map((c) => c.y);
  const got = wasm.pool(model, { image, xs, ys, cropSize: 235, wantArgs: true });
  for (let i = 0; i < xs.length; i++) {
    const want = ref.crops[i]!.min_per_kernel_float64_exact[0]!;
    assert.ok(Math.abs(got.mins[i]! - want) <= 1e-5, `crop ${i}: ${got.mins[i]} vs ${want}`);
  }
  const [r, c] = crop0.argmin_per_kernel_rc[0]!;
  assert.equal(got.argMins![0], r! * convMapSize(235) + c!);
});

test('wasm matches the reference with the official 10-kernel weights on real tissue', sharedOnly(), async () => {
  // The largest float32 error seen: large weights (|w| up to 1.8) on bright tissue. Every crop.
  const model = importFocusLiteCheckpoint(readCheckpoint('focuslitenn-10kernel.pt'), 'focuslitenn-10kernel.pt');
  const image = await decodeImage(sharedPath('data', 'tcga-focus', 'in-focus_patch_i_32381_j_37784.png'));
  const { xs, ys } = gridOrigins(cropGrid(image.width, image.height, 235, 128));
  assertMatchesReference(model, { image, xs, ys, cropSize: 235, wantMax: true }, '10-kernel in-focus');
  assertMatchesReference(model, { image, xs: [0, 790], ys: [0, 3], cropSize: 235, wantMax: true, wantArgs: true }, '10-kernel in-focus args');
});
