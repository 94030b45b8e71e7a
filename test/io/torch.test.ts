import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parameterCount } from '../../src/core/model.js';
import { convMap, referenceKernel } from '../../src/core/kernels/reference.js';
import { scoreRgbImage } from '../../src/core/score.js';
import { parseWeights, serializeModel } from '../../src/core/weights.js';
import { decodeImage } from '../../src/io/decode.js';
import { importFocusLiteCheckpoint, readTorchCheckpoint, readTorchStateDict, scaleFromFileName } from '../../src/io/torch/checkpoint.js';
import { PickleDict, PickleTuple, readPickle } from '../../src/io/torch/pickle.js';
import { sha256Hex } from '../../src/io/torch/sha256.js';
import { crc32, ZipArchive } from '../../src/io/torch/zip.js';
import { rng, sharedOnly, sharedPath } from '../helpers.js';
import { PickleWriter, focusLiteTensors, statePickle, zipArchive, zipCheckpoint } from './torch-fixtures.js';

const CKPT_DIR = ['reference', 'official-checkpoints'];
const ckptPath = (name: string): string => sharedPath(...CKPT_DIR, name);
const readCkpt = (name: string): Uint8Array => new Uint8Array(readFileSync(ckptPath(name)));

const FOCUSLITE = [
  { file: 'focuslitenn-1kernel.pt', kernels: 1, format: 'legacy', scale: 'relative', keys: ['module.conv.weight', 'module.conv.bias'] },
  { file: 'focuslitenn-2kernel.pt', kernels: 2, format: 'legacy', scale: 'relative', keys: ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'] },
  { file: 'focuslitenn-10kernel.pt', kernels: 10, format: 'legacy', scale: 'relative', keys: ['module.conv.weight', 'module.conv.bias', 'module.fc.weight', 'module.fc.bias'] },
  { file: 'focuslitenn-1kernel-mse.pt', kernels: 1, format: 'zip', scale: 'z-level', keys: ['conv.weight', 'conv.bias'] },
  { file: 'focuslitenn-2kernel-mse.pt', kernels: 2, format: 'zip', scale: 'z-level', keys: ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'] },
  { file: 'focuslitenn-10kernel-mse.pt', kernels: 10, format: 'zip', scale: 'z-level', keys: ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'] },
] as const;

/** Asserts `fn` throws one line starting with `label: ` and matching `pattern`. */
function assertCleanError(fn: () => unknown, label: string, pattern?: RegExp): string {
  let message = '';
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, 'an Error');
    message = err.message;
    return true;
  });
  assert.ok(message.startsWith(`${label}: `), `message starts with the label: ${message}`);
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  if (pattern) assert.match(message, pattern);
  return message;
}

// ---------------------------------------------------------------------------------------------
// The published checkpoints

test('every FocusLiteNN checkpoint imports with the right shapes, kernels, format and scale', sharedOnly(), () => {
  for (const c of FOCUSLITE) {
    const bytes = readCkpt(c.file);
    const ckpt = readTorchCheckpoint(bytes, c.file);
    assert.equal(ckpt.format, c.format, c.file);
    assert.deepEqual(ckpt.keys, [...c.keys], c.file);
    const sd = ckpt.tensors;
    assert.deepEqual(sd.get('conv.weight')?.shape, [c.kernels, 3, 7, 7], c.file);
    assert.deepEqual(sd.get('conv.bias')?.shape, [c.kernels], c.file);
    for (const t of sd.values()) assert.equal(t.dtype, 'float32');
    if (c.kernels > 1) {
      assert.deepEqual(sd.get('fc.weight')?.shape, [1, c.kernels, 1, 1], c.file);
      assert.deepEqual(sd.get('fc.bias')?.shape, [1], c.file);
    }
    const model = importFocusLiteCheckpoint(bytes, ckptPath(c.file));
    assert.equal(model.kernels, c.kernels);
    assert.equal(model.pooling, 'min');
    assert.equal(model.scale, c.scale);
    assert.equal(model.fcWeight === null, c.kernels === 1);
    assert.deepEqual(Array.from(model.convWeight), Array.from(sd.get('conv.weight')!.data as Float32Array));
    if (c.kernels > 1) assert.equal(model.fcBias, (sd.get('fc.bias')!.data as Float32Array)[0]);
    assert.equal(model.provenance.source, `imported from ${c.file}`);
    assert.equal(model.provenance.format, c.format);
    assert.equal(model.provenance.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.deepEqual(model.provenance.keys, [...c.keys]);
    // FocusPath's 40x, 0.25 µm/px; the -mse checkpoints score in FocusPath z-level steps.
    assert.equal(model.mpp, 0.25);
    assert.equal(model.unit, c.scale === 'z-level' ? 'focuspath-step' : null);
    assert.match(String(model.provenance.mppSource), /FocusPath .* 40x, 0\.25 µm\/px/);
  }
  assert.equal(parameterCount(importFocusLiteCheckpoint(readCkpt('focuslitenn-1kernel.pt'), 'x.pt')), 148);
});

test('the 1-kernel legacy file: storages resolved by key, not by pickle order', sharedOnly(), () => {
  const sd = readTorchStateDict(readCkpt('focuslitenn-1kernel.pt'), 'focuslitenn-1kernel.pt');
  // From the raw bytes: bias storage (key ...084544, sorted first) is at 513, the weight data at 525.
  const raw = readCkpt('focuslitenn-1kernel.pt');
  const view = new DataView(raw.buffer, raw.byteOffset);
  assert.equal((sd.get('conv.bias')!.data as Float32Array)[0], Math.fround(view.getFloat32(513, true)));
  assert.equal((sd.get('conv.weight')!.data as Float32Array)[0], Math.fround(view.getFloat32(525, true)));
  assert.equal((sd.get('conv.weight')!.data as Float32Array)[146], Math.fround(view.getFloat32(525 + 146 * 4, true)));
});

test('scale override and file-name rule', sharedOnly(), () => {
  assert.equal(scaleFromFileName('/a/b/focuslitenn-2kernel-MSE.pt'), 'z-level');
  assert.equal(scaleFromFileName('/mse/focuslitenn.pt'), 'relative');
  const bytes = readCkpt('focuslitenn-1kernel-mse.pt');
  assert.equal(importFocusLiteCheckpoint(bytes, 'focuslitenn-1kernel-mse.pt', { scale: 'relative' }).scale, 'relative');
  assert.equal(importFocusLiteCheckpoint(readCkpt('focuslitenn-1kernel.pt'), 'a.pt', { scale: 'z-level' }).scale, 'z-level');
  assert.throws(() => importFocusLiteCheckpoint(bytes, 'a.pt', { scale: 'zlevel' as never }), /Expected scale "relative" or "z-level" but received zlevel/);
  // The training resolution can be overridden (or set unknown) at import.
  const m = importFocusLiteCheckpoint(bytes, 'focuslitenn-1kernel-mse.pt', { mpp: 0.5 });
  assert.deepEqual([m.mpp, m.unit, m.provenance.mppSource], [0.5, 'focuspath-step', 'given at import']);
  assert.equal(importFocusLiteCheckpoint(bytes, 'focuslitenn-1kernel-mse.pt', { mpp: null }).mpp, null);
  // A relative-scale override drops the unit (a unit belongs to z-level scores only).
  assert.equal(importFocusLiteCheckpoint(bytes, 'focuslitenn-1kernel-mse.pt', { scale: 'relative' }).unit, null);
});

test('densenet13 and eonss are refused as not FocusLiteNN, naming keys found', sharedOnly(), () => {
  const dn = assertCleanError(() => importFocusLiteCheckpoint(readCkpt('densenet13.pt'), 'densenet13.pt'), 'densenet13.pt', /not a FocusLiteNN checkpoint/);
  assert.match(dn, /features\.conv0\.weight/);
  assert.match(dn, /79/);
  const eo = assertCleanError(() => importFocusLiteCheckpoint(readCkpt('eonss.pt'), 'eonss.pt'), 'eonss.pt', /not a FocusLiteNN checkpoint/);
  assert.match(eo, /conv1\.weight/);
  // They are still valid state dicts: densenet's BatchNorm counters are int64 scalars.
  const sd = readTorchStateDict(readCkpt('densenet13.pt'), 'densenet13.pt');
  assert.equal(sd.size, 79);
  const counter = [...sd.entries()].find(([k]) => k.endsWith('num_batches_tracked'))![1];
  assert.equal(counter.dtype, 'int64');
  assert.deepEqual(counter.shape, []);
  assert.equal(counter.data.length, 1);
  assert.deepEqual(sd.get('features.conv0.weight')!.shape, [64, 3, 7, 7]);
});

test('every truncation of a legacy and a zip checkpoint gives a clean one-line error', sharedOnly(), () => {
  for (const file of ['focuslitenn-1kernel.pt', 'focuslitenn-1kernel-mse.pt']) {
    const bytes = readCkpt(file);
    for (let len = 0; len < bytes.length; len++) {
      assertCleanError(() => importFocusLiteCheckpoint(bytes.subarray(0, len), file), file);
    }
  }
  // Specific messages at telling places.
  const legacy = readCkpt('focuslitenn-1kernel.pt');
  assertCleanError(() => readTorchStateDict(legacy.subarray(0, 300), 'f.pt'), 'f.pt', /pickle ends unexpectedly \(file truncated\?\)/);
  assertCleanError(() => readTorchStateDict(legacy.subarray(0, 1100), 'f.pt'), 'f.pt', /storage data ends unexpectedly \(file truncated\?\)/);
  assertCleanError(() => readTorchStateDict(readCkpt('focuslitenn-1kernel-mse.pt').subarray(0, 1700), 'f.pt'), 'f.pt', /end-of-central-directory record not found/);
});

test('corrupted storage bytes in a zip checkpoint fail the CRC check', sharedOnly(), () => {
  const bytes = readCkpt('focuslitenn-1kernel-mse.pt').slice();
  const zip = new ZipArchive(bytes);
  const entry = zip.entries.find((e) => e.name.endsWith('data/0'))!;
  const start = entry.headerOffset + 30 + new DataView(bytes.buffer).getUint16(entry.headerOffset + 26, true) + new DataView(bytes.buffer).getUint16(entry.headerOffset + 28, true);
  bytes[start + 5]! ^= 0xff;
  assertCleanError(() => readTorchStateDict(bytes, 'x.pt'), 'x.pt', /data\/0" is corrupt \(CRC-32 mismatch\)/);
});

test('import -> serializeModel -> parseWeights round trip is exact', sharedOnly(), () => {
  for (const c of FOCUSLITE) {
    const model = importFocusLiteCheckpoint(readCkpt(c.file), c.file);
    const back = parseWeights(serializeModel(model), 'round-trip');
    assert.deepEqual(back, model, c.file);
  }
});

// ---------------------------------------------------------------------------------------------
// Numerical parity with the official implementation

interface CropsReference {
  crops: Array<{ index: number; x: number; y: number; output: number; output_float64_exact: number }>;
}

const TCGA = (name: string): string => sharedPath('data', 'tcga-focus', name);
const OUT_OF_FOCUS = 'out-of-focus_patch_i_9651_j_81514.png';
const IN_FOCUS = 'in-focus_patch_i_32381_j_37784.png';

test('1-kernel: conv map of crop 0 matches the official one', sharedOnly(), async () => {
  const ref = JSON.parse(readFileSync(sharedPath('reference', 'convmap-1kernel-out-of-focus-crop0.json'), 'utf8')) as { map_float64_exact: number[][][] };
  const model = importFocusLiteCheckpoint(readCkpt('focuslitenn-1kernel.pt'), 'focuslitenn-1kernel.pt');
  const image = await decodeImage(TCGA(OUT_OF_FOCUS));
  const map = convMap(model, 0, { image, cropSize: 235 }, 0, 0);
  const want = ref.map_float64_exact[0]!.flat();
  assert.equal(map.length, want.length);
  let worst = 0;
  for (let i = 0; i < map.length; i++) worst = Math.max(worst, Math.abs(map[i]! - want[i]!));
  assert.ok(worst < 1e-6, `max |diff| ${worst}`);
});

test('1-kernel: per-crop outputs match the official ones within 1e-4', sharedOnly(), async () => {
  const ref = JSON.parse(readFileSync(sharedPath('reference', 'crops-1kernel-out-of-focus.json'), 'utf8')) as CropsReference;
  const model = importFocusLiteCheckpoint(readCkpt('focuslitenn-1kernel.pt'), 'focuslitenn-1kernel.pt');
  const image = await decodeImage(TCGA(OUT_OF_FOCUS));
  const result = scoreRgbImage(model, referenceKernel, image);
  assert.equal(result.crops.length, ref.crops.length);
  assert.equal(result.crops.length, 49);
  for (const c of ref.crops) {
    assert.equal(result.grid.xs[c.index % result.grid.cols], c.x);
    assert.equal(result.grid.ys[Math.floor(c.index / result.grid.cols)], c.y);
    assert.ok(Math.abs(result.crops[c.index]! - c.output_float64_exact) < 1e-4, `crop ${c.index}: ${result.crops[c.index]} vs ${c.output_float64_exact}`);
    assert.ok(Math.abs(result.crops[c.index]! - c.output) < 1e-4, `crop ${c.index}: ${result.crops[c.index]} vs float32 ${c.output}`);
  }
});

test('image scores match official-scores.json within 1e-4', sharedOnly(), async () => {
  const official = JSON.parse(readFileSync(sharedPath('reference', 'official-scores.json'), 'utf8')) as Record<string, Record<string, number> | string>;
  const cases: Array<[string, string]> = [
    ['focuslitenn-1kernel.pt', OUT_OF_FOCUS],
    ['focuslitenn-1kernel.pt', IN_FOCUS],
    ['focuslitenn-10kernel-mse.pt', OUT_OF_FOCUS],
  ];
  for (const [ckpt, image] of cases) {
    const want = (official[ckpt] as Record<string, number>)[image]!;
    assert.equal(typeof want, 'number');
    const model = importFocusLiteCheckpoint(readCkpt(ckpt), ckpt);
    const { score } = scoreRgbImage(model, referenceKernel, await decodeImage(TCGA(image)));
    assert.ok(Math.abs(score - want) < 1e-4, `${ckpt} on ${image}: ${score} vs ${want}`);
  }
});

// ---------------------------------------------------------------------------------------------
// Crafted files: safety and error messages

test('a pickle calling os.system is refused before anything runs', () => {
  const evil = new PickleWriter().proto().global('os', 'system').str('echo pwned').op(0x85, 0x52).stop().bytes();
  assert.throws(() => readPickle(evil, 0, { allowedGlobals: new Set(['collections OrderedDict']) }),
    /pickle uses global "os system", which is not allowed \(only tensors, dicts and lists are read\) \(pickle byte 2\)/);
  // As a whole checkpoint, legacy-looking and inside a zip.
  assertCleanError(() => readTorchStateDict(evil, 'evil.pt'), 'evil.pt', /global "os system", which is not allowed/);
  const zipped = zipArchive([{ name: 'evil/data.pkl', data: evil }]);
  assertCleanError(() => importFocusLiteCheckpoint(zipped, 'evil.pt'), 'evil.pt', /global "os system", which is not allowed/);
  // An allowed-looking module with a dangerous name is refused too.
  const sneaky = new PickleWriter().proto().global('torch', 'load').stop().bytes();
  assertCleanError(() => readTorchStateDict(zipArchive([{ name: 'a/data.pkl', data: sneaky }]), 's.pt'), 's.pt', /global "torch load"/);
});

test('unknown opcodes are named with their byte offset', () => {
  const inst = new PickleWriter().proto().op(0x69).bytes();
  assert.throws(() => readPickle(inst, 0, { allowedGlobals: new Set() }), /unsupported pickle opcode 0x69 \(INST\) \(pickle byte 2\)/);
  const junk = new PickleWriter().proto().op(0xff).bytes();
  assert.throws(() => readPickle(junk, 0, { allowedGlobals: new Set() }), /unsupported pickle opcode 0xff \(pickle byte 2\)/);
  const mark = new PickleWriter().proto().op(0x65).bytes();
  assert.throws(() => readPickle(mark, 0, { allowedGlobals: new Set() }), /no MARK/);
});

test('pickle reader: values, memo, offsets of consecutive pickles', () => {
  const w = new PickleWriter().proto().op(0x7d).op(0x71, 0).mark()
    .str('a').int(1).str('b').int(300).str('c').int(-5).str('t').op(0x88).str('n').op(0x4e)
    .str('l').op(0x5d).mark().int(1).int(2).op(0x65)
    .str('tup').int(7).op(0x68, 0).op(0x86)
    .op(0x75).stop();
  const first = w.bytes();
  const second = new PickleWriter().proto().op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytes();
  const both = new Uint8Array([...first, ...second]);
  const r1 = readPickle(both, 0, { allowedGlobals: new Set() });
  assert.equal(r1.end, first.length);
  const d = r1.value as PickleDict;
  assert.ok(d instanceof PickleDict);
  assert.equal(d.get('a'), 1);
  assert.equal(d.get('b'), 300);
  assert.equal(d.get('c'), -5);
  assert.equal(d.get('t'), true);
  assert.equal(d.get('n'), null);
  assert.deepEqual(d.get('l'), [1, 2]);
  const tup = d.get('tup') as PickleTuple;
  assert.equal(tup.items[0], 7);
  assert.equal(tup.items[1], d, 'memo returns the same object');
  const r2 = readPickle(both, r1.end, { allowedGlobals: new Set() });
  assert.equal(r2.value, 0x1950a86a20f9469cfc6cn);
  assert.equal(r2.end, both.length);
  assert.equal(readPickle(new PickleWriter().proto().op(0x8a, 1, 0xff).stop().bytes(), 0, { allowedGlobals: new Set() }).value, -1);
});

test('not a PyTorch file at all', () => {
  assertCleanError(() => readTorchStateDict(new TextEncoder().encode('{"format":1}'), 'm.json'), 'm.json', /not a PyTorch checkpoint \(expected a zip archive or a pickle stream, file starts with 7b 22 66 6f\)/);
  assertCleanError(() => readTorchStateDict(new Uint8Array(0), 'empty.pt'), 'empty.pt', /not a PyTorch checkpoint/);
  const plainPickle = new PickleWriter().proto().int(5).stop().bytes();
  assertCleanError(() => readTorchStateDict(plainPickle, 'p.pt'), 'p.pt', /without torch's magic number/);
  assertCleanError(() => readTorchStateDict(zipArchive([{ name: 'x/other.txt', data: new Uint8Array(3) }]), 'z.pt'), 'z.pt', /zip archive without data\.pkl/);
});

test('crafted zip checkpoints: module. stripping, bare state dict, float64, strided views', () => {
  const ckpt = zipCheckpoint(focusLiteTensors(2, 'module.'), { wrap: false });
  const model = importFocusLiteCheckpoint(ckpt, 'dir/crafted-2k.pt');
  assert.equal(model.kernels, 2);
  assert.equal(model.provenance.source, 'imported from crafted-2k.pt');
  assert.deepEqual(Array.from(model.fcWeight!), [1, 0.5]);
  assert.equal(model.fcBias, 0.75);
  assert.deepEqual(Array.from(model.convBias), [Math.fround(-0.1), Math.fround(0.15)]);
  // A transposed 2x3 float64 view of a 6-element storage, and an int64 scalar.
  const sd = readTorchStateDict(zipCheckpoint({
    t: { shape: [3, 2], stride: [1, 3], dtype: 'float64', storage: [0, 1, 2, 3, 4, 5] },
    n: { shape: [], dtype: 'int64', storage: [42] },
  }), 'v.pt');
  const t = sd.get('t')!;
  assert.equal(t.dtype, 'float64');
  assert.deepEqual(Array.from(t.data as Float64Array), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(Array.from(sd.get('n')!.data as BigInt64Array), [42n]);
  // float16 storages are widened to float32 values (1, -2, 1/3 rounded to half, smallest subnormal, inf).
  const half = readTorchStateDict(zipCheckpoint({ h: { shape: [5], dtype: 'float16', storage: [0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00] } }), 'h.pt').get('h')!;
  assert.equal(half.dtype, 'float16');
  assert.deepEqual(Array.from(half.data as Float32Array), [1, -2, 0.333251953125, 2 ** -24, Infinity]);
  // fc.weight as [1,K] is accepted too.
  const flat = focusLiteTensors(2);
  flat['fc.weight']!.shape = [1, 2];
  assert.equal(importFocusLiteCheckpoint(zipCheckpoint(flat), 'flat.pt').kernels, 2);
});

test('crafted FocusLiteNN checkpoints with wrong shapes name the tensor, got and expected', () => {
  const badConv = focusLiteTensors(1);
  badConv['conv.weight'] = { shape: [1, 3, 5, 5], storage: new Array(75).fill(0) };
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(badConv), 'a.pt'), 'a.pt', /tensor conv\.weight has shape \[1,3,5,5\], expected \[K,3,7,7\]/);
  const badBias = focusLiteTensors(2);
  badBias['conv.bias'] = { shape: [3], storage: [0, 0, 0] };
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(badBias), 'b.pt'), 'b.pt', /tensor conv\.bias has shape \[3\], expected \[2\]/);
  const badFc = focusLiteTensors(2);
  badFc['fc.weight'] = { shape: [1, 3, 1, 1], storage: [0, 0, 0] };
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(badFc), 'c.pt'), 'c.pt', /tensor fc\.weight has shape \[1,3,1,1\], expected \[1,2,1,1\] or \[1,2\]/);
  const noFc = focusLiteTensors(2);
  delete noFc['fc.weight'];
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(noFc), 'd.pt'), 'd.pt', /tensor fc\.weight is missing/);
  const extra = { ...focusLiteTensors(1), 'bn.weight': { shape: [1], storage: [1] } };
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(extra), 'e.pt'), 'e.pt', /not a FocusLiteNN checkpoint .*bn\.weight/);
  const intConv = focusLiteTensors(1);
  intConv['conv.weight'] = { shape: [1, 3, 7, 7], dtype: 'int64', storage: new Array(147).fill(1) };
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(intConv), 'f.pt'), 'f.pt', /tensor conv\.weight has dtype int64/);
  const nan = focusLiteTensors(1);
  nan['conv.bias']!.storage = [NaN];
  assertCleanError(() => importFocusLiteCheckpoint(zipCheckpoint(nan), 'g.pt'), 'g.pt', /non-finite/);
});

test('zip reader: deflated entries are refused clearly; storage size mismatch detected', () => {
  const deflated = zipArchive([{ name: 'a/data.pkl', data: statePickle({}), method: 8 }]);
  assertCleanError(() => readTorchStateDict(deflated, 'd.pt'), 'd.pt', /zip entry "a\/data\.pkl" is compressed \(deflate\); only stored entries are supported/);
  const short = zipArchive([
    { name: 'a/data.pkl', data: statePickle({ w: { shape: [4], storage: [1, 2, 3, 4] } }) },
    { name: 'a/data/0', data: new Uint8Array(12) },
  ]);
  assertCleanError(() => readTorchStateDict(short, 's.pt'), 's.pt', /zip entry "a\/data\/0" holds 12 bytes, expected 16/);
});

test('sha256 and crc32 agree with node:crypto / known values', () => {
  const r = rng(7);
  for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const bytes = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
    assert.equal(sha256Hex(bytes), createHash('sha256').update(bytes).digest('hex'), `length ${len}`);
  }
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('a Node Buffer that is a view into a larger pool imports like a plain copy', sharedOnly(), () => {
  for (const name of ['focuslitenn-1kernel.pt', 'focuslitenn-10kernel-mse.pt']) {
    const bytes = readFileSync(sharedPath('reference', 'official-checkpoints', name));
    // Buffer.slice/subarray share memory and start at a non-zero byteOffset, as pooled Buffers do.
    const view = Buffer.concat([Buffer.alloc(8), bytes]).subarray(8);
    assert.notEqual(view.byteOffset, 0);
    const a = importFocusLiteCheckpoint(view, name);
    const b = importFocusLiteCheckpoint(new Uint8Array(bytes), name);
    assert.deepEqual(Array.from(a.convWeight), Array.from(b.convWeight));
    assert.deepEqual(Array.from(a.convBias), Array.from(b.convBias));
  }
});
