/**
 * Hostile checkpoints: files of a few KB that declare huge tensors (stride-0 views from expand,
 * overflowing strides, offsets past the storage, lying storage sizes) or huge pickles. Each must be
 * refused with one line, and `import`, `info` and `score -w` must stay far below 1 GB.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { importFocusLiteCheckpoint, openTorchCheckpoint, readTorchStateDict, SMALL_VIEW_ELEMENTS } from '../../src/io/torch/checkpoint.js';
import { MAX_PICKLE_OPCODES, readPickle } from '../../src/io/torch/pickle.js';
import { runCliCapped } from '../capped-cli.js';
import { focusLiteTensors, legacyCheckpoint, zipArchive, zipCheckpoint, type FixtureTensor } from './torch-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-hostile-pt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WRITERS = { zip: zipCheckpoint, legacy: legacyCheckpoint } as const;

/** Asserts `fn` throws one line starting with `label: ` and matching `pattern`. */
function assertCleanError(fn: () => unknown, label: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.ok(err.message.startsWith(`${label}: `), err.message);
    assert.ok(!err.message.includes('\n'), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

/** `torch.zeros(1).expand(n)`: one stored element, n logical ones. */
const expanded = (n: number): FixtureTensor => ({ shape: [n], stride: [0], storage: [0] });

test('an extra stride-0 key is refused by its name before any tensor is read (zip and legacy, 2^27 and 2^31)', () => {
  for (const [format, write] of Object.entries(WRITERS)) {
    for (const n of [2 ** 27, 2 ** 31]) {
      const bytes = write({ ...focusLiteTensors(1), extra: expanded(n) });
      assert.ok(bytes.length < 2500, `${format}: a ${bytes.length}-byte file`);
      assertCleanError(() => importFocusLiteCheckpoint(bytes, 'x.pt'), 'x.pt', /not a FocusLiteNN checkpoint .*found 3 tensors: conv\.weight, conv\.bias, extra/);
      // Opening lists the declared shape without reading anything.
      const index = openTorchCheckpoint(bytes, 'x.pt');
      assert.equal(index.format, format);
      assert.deepEqual(index.tensors.get('extra'), { dtype: 'float32', shape: [n], numel: n });
      assert.equal(index.storageElements, 147 + 1 + 1);
      // Reading it, or the whole state dict, is refused by the storage bound.
      assertCleanError(() => index.read('extra'), 'x.pt', new RegExp(`tensor extra: a tensor of shape \\[${n}\\] has ${n} elements but its storage "2" \\(1 elements\\) holds fewer \\(a stride-0 or overlapping view`));
      assertCleanError(() => readTorchStateDict(bytes, 'x.pt'), 'x.pt', /stride-0 or overlapping view/);
    }
  }
});

test('a FocusLiteNN tensor that is itself a view: small expands are read, huge ones refused', () => {
  for (const write of Object.values(WRITERS)) {
    // torch.full((1,), 0.5).expand(1,3,7,7): 147 elements from one stored value, a legitimate file.
    const small = { ...focusLiteTensors(1), 'conv.weight': { shape: [1, 3, 7, 7], stride: [0, 0, 0, 0], storage: [0.5] } };
    const model = importFocusLiteCheckpoint(write(small), 'small.pt');
    assert.equal(model.convWeight.length, 147);
    assert.ok(model.convWeight.every((v) => v === 0.5));
    // 1,024 kernels expanded from one value: 150,528 elements from 4 bytes.
    const big = { 'conv.weight': { shape: [1024, 3, 7, 7], stride: [0, 0, 0, 0], storage: [0.5] }, 'conv.bias': expanded(1024), 'fc.weight': { shape: [1, 1024], stride: [0, 0], storage: [1] }, 'fc.bias': { shape: [1], storage: [0] } };
    assertCleanError(() => importFocusLiteCheckpoint(write(big), 'big.pt'), 'big.pt', /tensor conv\.weight: a tensor of shape \[1024,3,7,7\] has 150528 elements but its storage "0" \(1 elements\) holds fewer/);
    // More kernels than any model may have is refused from the shape alone.
    const huge = { ...big, 'conv.weight': { shape: [2 ** 40, 3, 7, 7], stride: [0, 0, 0, 0], storage: [0.5] } };
    assertCleanError(() => importFocusLiteCheckpoint(write(huge), 'huge.pt'), 'huge.pt', /conv\.weight has shape \[1099511627776,3,7,7\]: 1099511627776 kernels, more than FocusLiteNN's limit of 1024/);
  }
  assert.equal(SMALL_VIEW_ELEMENTS, 65536);
});

test('siblings: overflowing strides, offsets past the storage, lying storage sizes, huge zip entries', () => {
  for (const write of Object.values(WRITERS)) {
    const with1 = (t: FixtureTensor): Uint8Array => write({ t });
    assertCleanError(() => readTorchStateDict(with1({ shape: [2, 2], stride: [2 ** 52, 1], storage: [1, 2, 3, 4] }), 's.pt'), 's.pt', /tensor t: a tensor reaches past the end of storage "0" \(4 elements\)/);
    assertCleanError(() => readTorchStateDict(with1({ shape: [3], stride: [2], storage: [1, 2, 3, 4] }), 's.pt'), 's.pt', /tensor t: a tensor reaches past the end/);
    assertCleanError(() => readTorchStateDict(with1({ shape: [0], offset: 2 ** 40, storage: [1] }), 'o.pt'), 'o.pt', /tensor t: a tensor starts at element 1099511627776, past the end of storage "0"/);
    assertCleanError(() => readTorchStateDict(with1({ shape: [2], offset: 3, storage: [1, 2, 3, 4] }), 'o.pt'), 'o.pt', /reaches past the end/);
    assertCleanError(() => readTorchStateDict(with1({ shape: [2 ** 20, 2 ** 20, 2 ** 20], storage: [1] }), 'n.pt'), 'n.pt', /tensor t: a tensor of shape \[1048576,1048576,1048576\] is too large/);
    // A storage declaring 2^50 elements that the file does not hold.
    assertCleanError(() => readTorchStateDict(with1({ shape: [1], storage: [1], declaredNumel: 2 ** 50 }), 'd.pt'), 'd.pt', /storage data ends unexpectedly|holds 4 bytes, expected 4503599627370496/);
    // A non-contiguous view inside its storage is still read exactly (gathered without an index array).
    const t = readTorchStateDict(with1({ shape: [2, 3], stride: [1, 2], offset: 1, storage: [0, 1, 2, 3, 4, 5, 6] }), 'v.pt').get('t')!;
    assert.deepEqual(Array.from(t.data as Float32Array), [1, 3, 5, 2, 4, 6]);
  }
  // A central directory declaring a 4 GB entry in a tiny archive.
  const zip = zipArchive([{ name: 'a/data.pkl', data: new Uint8Array([0x80, 2, 0x7d, 0x2e]) }]);
  const view = new DataView(zip.buffer);
  const cd = view.getUint32(zip.length - 6, true);
  view.setUint32(cd + 24, 0xfffffffe, true);
  assertCleanError(() => readTorchStateDict(zip, 'z.pt'), 'z.pt', /zip entry "a\/data\.pkl" runs past the end of the file/);
});

test('many tensors viewing one storage are bounded in all, not only one by one', () => {
  const storage = Array.from({ length: SMALL_VIEW_ELEMENTS }, (_, i) => i);
  const many: Record<string, FixtureTensor> = {};
  // Written as one storage per tensor by the fixture, each a full view: the total is what is bounded.
  for (let i = 0; i < 3; i++) many[`t${i}`] = { shape: [SMALL_VIEW_ELEMENTS], storage };
  assert.equal(readTorchStateDict(zipCheckpoint(many), 'm.pt').size, 3);
  // 40 tensors each expanding one value to 65,536 elements: 2.6 M elements from 40 stored.
  const views: Record<string, FixtureTensor> = {};
  for (let i = 0; i < 40; i++) views[`v${i}`] = expanded(SMALL_VIEW_ELEMENTS);
  assertCleanError(() => readTorchStateDict(zipCheckpoint(views), 'v.pt'), 'v.pt', /more than twice the 40 stored in the file/);
  // One at a time they can still be read.
  assert.equal(openTorchCheckpoint(zipCheckpoint(views), 'v.pt').read('v7').data.length, SMALL_VIEW_ELEMENTS);
});

test('pickles: any nesting depth is fine, the opcode budget bounds what a pickle can allocate', () => {
  // 200,000 nested lists (EMPTY_LIST, then APPEND into the one below): no recursion anywhere.
  const depth = 200_000;
  const nested = new Uint8Array(2 + depth + (depth - 1) + 1);
  nested.set([0x80, 2]);
  nested.fill(0x5d, 2, 2 + depth);
  nested.fill(0x61, 2 + depth, nested.length - 1);
  nested[nested.length - 1] = 0x2e;
  let v = readPickle(nested, 0, { allowedGlobals: new Set() }).value;
  let levels = 1;
  while (Array.isArray(v) && v.length === 1) { v = v[0]!; levels++; }
  assert.equal(levels, depth);
  // A 1 MB run of EMPTY_DICT (each a 1-byte opcode making a Map) stops at the budget.
  const dicts = new Uint8Array(1_000_003).fill(0x7d);
  dicts.set([0x80, 2]);
  assert.throws(() => readPickle(dicts, 0, { allowedGlobals: new Set() }), new RegExp(`pickle has more than ${MAX_PICKLE_OPCODES} opcodes`));
  assert.throws(() => readPickle(dicts, 0, { allowedGlobals: new Set(), maxOpcodes: 10 }), /more than 10 opcodes, .*\(pickle byte 11\)$/);
});

// ---------------------------------------------------------------------------------------------
// The commands, in a child process under a memory cap

const image = join(dir, 'patch.png');
const imageMade = sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 180, g: 120, b: 160 } } }).png().toFile(image);

function assertRefused(args: string[], pattern: RegExp): void {
  const res = runCliCapped(args);
  assert.equal(res.signal, null, `${args.join(' ')}: killed by ${res.signal}; stderr ${res.stderr.slice(-300)}`);
  assert.equal(res.code, 1, `${args.join(' ')}: exit ${res.code}; stderr ${res.stderr.slice(-300)}`);
  const lines = res.stderr.trim().split('\n');
  assert.ok(lines.some((l) => pattern.test(l)), `${args.join(' ')}: ${res.stderr}`);
  assert.ok(!/\n\s+at /.test(res.stderr) && !/FATAL/.test(res.stderr), `no stack trace: ${res.stderr}`);
  assert.ok(res.maxRssMb !== null && res.maxRssMb < 1024, `${args.join(' ')}: peak RSS ${res.maxRssMb} MB`);
}

test('import, info and score -w refuse stride-0 checkpoints in one line, far below 1 GB', async () => {
  await imageMade;
  for (const [format, write] of Object.entries(WRITERS)) {
    for (const exp of [27, 31]) {
      const file = join(dir, `expand${exp}-${format}.pt`);
      writeFileSync(file, write({ ...focusLiteTensors(1), extra: expanded(2 ** exp) }));
      const line = new RegExp(`^focuslite: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a FocusLiteNN checkpoint`);
      // The reported case (2^27) through every command that loads weights; 2^31 through one.
      const commands = exp === 27 ? [['import', file, '-o', join(dir, 'out.json')], ['info', file], ['score', image, '-w', file]] : [['info', file]];
      for (const args of commands) assertRefused(args, line);
    }
  }
  // The conv weight itself as a huge view: refused by the storage bound.
  const file = join(dir, 'conv-view.pt');
  writeFileSync(file, zipCheckpoint({ 'conv.weight': { shape: [1024, 3, 7, 7], stride: [0, 0, 0, 0], storage: [0.5] }, 'conv.bias': expanded(1024), 'fc.weight': { shape: [1, 1024], stride: [0, 0], storage: [1] }, 'fc.bias': { shape: [1], storage: [0] } }));
  assertRefused(['info', file], /tensor conv\.weight: a tensor of shape \[1024,3,7,7\] has 150528 elements/);
});

test('a weights file larger than any model is not read (nor /dev/zero)', () => {
  const big = join(dir, 'big.pt');
  writeFileSync(big, new Uint8Array(9 * 1024 * 1024));
  assertRefused(['info', big], /big\.pt: the file is larger than 8 MB, far larger than any FocusLiteNN model/);
  assertRefused(['info', '/dev/zero'], /\/dev\/zero: the file is larger than 8 MB/);
  // Deeply nested JSON just under the bound: parsed (and refused) within the memory cap.
  const deep = join(dir, 'deep.json');
  writeFileSync(deep, '['.repeat(8 * 1024 * 1024 - 1));
  assertRefused(['info', deep], /deep\.json: not a valid focuslite weights file: invalid JSON/);
});
