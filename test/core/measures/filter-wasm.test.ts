/**
 * The WebAssembly filter backend against the TypeScript imfilter: the same bits on random planes
 * (every width mod 8, planes thinner than the kernel, chains of two steps, the MaxPol kernels),
 * plus that the committed wasm/filters.wasm is a fresh deterministic build of assembly/filters.ts,
 * and that the MaxPol taps shipped in src/ are the reference set's kernels.json, bit for bit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, rng, sharedOnly, sharedPath } from '../../helpers.js';
import type { Plane } from '../../../src/core/measures/gray.js';
import { referenceFilterBackend, runFilterChains, type FilterChain } from '../../../src/core/measures/filter-chains.js';
import { createWasmFilterBackend } from '../../../src/core/measures/filter-wasm.js';
import { decodeBase64 } from '../../../src/core/kernels/wasm.js';
import { FILTERS_WASM_BASE64 } from '../../../src/core/measures/filters-wasm-binary.js';
import * as kernels from '../../../src/core/measures/maxpol-kernels.js';

const wasm = createWasmFilterBackend();

function randomPlane(width: number, height: number, seed: number): Plane {
  const next = rng(seed);
  return { width, height, data: Float64Array.from({ length: width * height }, () => next()) };
}

function assertSameBits(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: value ${i} is ${got[i]}, reference ${want[i]}`);
}

/** The backend's results, copied (they live in its reused buffers). */
function run(backend: typeof wasm, g: Plane, chains: FilterChain[]): Float64Array[] {
  const outs = backend.run(g, chains);
  assert.equal(outs.length, chains.length);
  return outs.map((o) => o.slice());
}

test('wasm filters give the reference bits: random planes, widths 1..17 and 64..72, kernels of 1 to 65 taps', () => {
  const next = rng(3);
  const taps = (n: number): Float64Array => Float64Array.from({ length: n }, () => next() - 0.5);
  const sizes: Array<[number, number]> = [[1, 1], [3, 2], [30, 50], [50, 30], [235, 7]];
  for (let w = 1; w <= 17; w++) sizes.push([w, 5]);
  for (let w = 64; w <= 72; w++) sizes.push([w, 66]);
  for (const [w, h] of sizes) {
    const g = randomPlane(w, h, w * 1000 + h);
    for (const n of [1, 2, 7, 16, 33, 65]) {
      const k = taps(n);
      const chains: FilterChain[] = [[{ axis: 'x', taps: k }], [{ axis: 'y', taps: k }], [{ axis: 'x', taps: k }, { axis: 'y', taps: taps(5) }], []];
      const want = run(referenceFilterBackend, g, chains);
      const got = run(wasm, g, chains);
      chains.forEach((_, i) => assertSameBits(got[i]!, want[i]!, `${w}x${h}, ${n} taps, chain ${i}`));
    }
  }
});

test('wasm filters give the reference bits with the MaxPol kernels on a 1025 x 1025 plane; runFilterChains checks the plane', () => {
  const g = randomPlane(1025, 1025, 77);
  const lp = Float64Array.from(kernels.FQPATH_LOWPASS);
  const k = Float64Array.from(kernels.FQPATH_KERNEL);
  const d = Float64Array.from(kernels.SYNTHETIC_MAXPOL_KERNEL_1);
  const chains: FilterChain[] = [[{ axis: 'x', taps: lp }, { axis: 'x', taps: k }], [{ axis: 'y', taps: lp }, { axis: 'y', taps: k }], [{ axis: 'y', taps: d }]];
  const want = run(referenceFilterBackend, g, chains);
  const got = run(wasm, g, chains);
  chains.forEach((_, i) => assertSameBits(got[i]!, want[i]!, `chain ${i}`));
  const [copy] = runFilterChains(g, [[]]);
  assertSameBits(copy!, g.data, 'empty chain');
  assert.throws(() => runFilterChains({ width: 2, height: 2, data: new Float64Array(3) }, [[]]), /Expected 4 values for a 2x2 plane/);
});

test('committed wasm/filters.wasm and filters-wasm-binary.ts are a fresh deterministic build of assembly/filters.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-filters-'));
  try {
    execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-wasm-filters.mjs'), '--out-dir', dir], { stdio: 'pipe' });
    const fresh = readFileSync(join(dir, 'filters.wasm'));
    const committed = readFileSync(join(projectRoot, 'wasm', 'filters.wasm'));
    assert.ok(fresh.equals(committed), 'wasm/filters.wasm is stale: run npm run build:wasm and commit the result');
    assert.equal(readFileSync(join(dir, 'filters-wasm-binary.ts'), 'utf8'), readFileSync(join(projectRoot, 'src', 'core', 'measures', 'filters-wasm-binary.ts'), 'utf8'));
    assert.ok(Buffer.from(decodeBase64(FILTERS_WASM_BASE64)).equals(committed), 'filters-wasm-binary.ts does not decode to wasm/filters.wasm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the shipped MaxPol taps are kernels.json of the reference set, bit for bit', sharedOnly(), () => {
  const json = JSON.parse(readFileSync(sharedPath('reference', 'baselines', 'kernels.json'), 'utf8')) as Record<string, { taps: number[] }>;
  const pairs: Array<[string, readonly number[]]> = [
    ['FQPath_lowpass', kernels.FQPATH_LOWPASS],
    ['FQPath_kernel', kernels.FQPATH_KERNEL],
    ['HVS_MaxPol_kernel_1', kernels.HVS_MAXPOL_KERNEL_1],
    ['HVS_MaxPol_kernel_2', kernels.HVS_MAXPOL_KERNEL_2],
    ['Synthetic_MaxPol_kernel_1', kernels.SYNTHETIC_MAXPOL_KERNEL_1],
    ['Synthetic_MaxPol_kernel_2', kernels.SYNTHETIC_MAXPOL_KERNEL_2],
  ];
  for (const [name, taps] of pairs) {
    assert.equal(taps.length, json[name]!.taps.length, name);
    taps.forEach((v, i) => assert.ok(Object.is(v, json[name]!.taps[i]), `${name}[${i}]`));
  }
});
