import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../src/core/image.js';
import { decodeImage } from '../../src/io/decode.js';
import { encodePng } from '../../src/io/encode.js';
import { loadFocusPath } from '../../src/io/datasets/index.js';
import { Mulberry32 } from '../../src/core/random.js';
import {
  applyCropPlan,
  assessTissue,
  canonicalJson,
  effectiveTarget,
  manifestHash,
  planCrop,
  rejectReason,
  synthesizeDataset,
  type SynthManifest,
} from '../../src/synth/dataset.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { rng, sharedOnly, sharedPath } from '../helpers.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'focuslite-synth-'));
}

function solid(w: number, h: number, f: (x: number, y: number) => [number, number, number]): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set(f(x, y), (y * w + x) * 3);
  return { width: w, height: h, data };
}

/** Source tiles: two tissue tiles (one RGBA, one larger than the output), background, pen, tiny. */
async function writeSources(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const a = makeTissueLikeImage(150, 120, 1);
  // RGBA tile: alpha must be dropped, not composited
  const rgba = Buffer.alloc(a.width * a.height * 4);
  for (let i = 0; i < a.width * a.height; i++) {
    rgba.set(a.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 128;
  }
  await sharp(rgba, { raw: { width: a.width, height: a.height, channels: 4 } }).png().toFile(join(dir, 'a-tissue.png'));
  writeFileSync(join(dir, 'b-tissue.png'), await encodePng(makeTissueLikeImage(300, 220, 2)));
  const r = rng(9);
  writeFileSync(join(dir, 'c-background.png'), await encodePng(solid(128, 128, () => {
    const v = 238 + Math.floor(r() * 6);
    return [v, v - 2, v];
  })));
  // a smooth green smear: saturated and dense, but without in-focus detail
  writeFileSync(join(dir, 'd-pen.png'), await encodePng(solid(128, 128, (x, y) => [60 + ((x + y) >> 3), 150, 120])));
  writeFileSync(join(dir, 'e-tiny.png'), await encodePng(makeTissueLikeImage(20, 20, 3)));
}

function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(join(dir, 'images')).sort()) out.set(`images/${f}`, readFileSync(join(dir, 'images', f)));
  out.set('list.txt', readFileSync(join(dir, 'list.txt')));
  out.set('manifest.json', readFileSync(join(dir, 'manifest.json')));
  return out;
}

const OPTIONS = { size: 96, levels: 3, noise: 2, jpeg: 90 } as const;

test('synth: same seed gives byte-identical files and manifest hash; another seed differs', async () => {
  const root = tempDir();
  try {
    const src = join(root, 'src');
    await writeSources(src);
    const r1 = await synthesizeDataset({ inputs: [src], outDir: join(root, 'out1'), seed: 1, ...OPTIONS });
    const r2 = await synthesizeDataset({ inputs: [src], outDir: join(root, 'out2'), seed: 1, ...OPTIONS });
    const r3 = await synthesizeDataset({ inputs: [src], outDir: join(root, 'out3'), seed: 2, ...OPTIONS });
    assert.equal(r1.images, 2 * 4);
    assert.equal(r1.manifestHash, r2.manifestHash);
    const t1 = readTree(join(root, 'out1'));
    const t2 = readTree(join(root, 'out2'));
    assert.deepEqual([...t1.keys()], [...t2.keys()]);
    for (const [k, v] of t1) assert.ok(v.equals(t2.get(k)!), `${k} differs between runs`);
    assert.notEqual(r3.manifestHash, r1.manifestHash);
    const t3 = readTree(join(root, 'out3'));
    assert.ok([...t1.keys()].some((k) => k.startsWith('images/') && !t1.get(k)!.equals(t3.get(k)!)), 'seed 2 changed no image');

    // the manifest records every file's hash, and its hash is reproducible from its content
    const manifest = JSON.parse(t1.get('manifest.json')!.toString('utf8')) as SynthManifest;
    assert.equal(manifest.manifestHash, r1.manifestHash);
    assert.equal(manifestHash(manifest), manifest.manifestHash);
    assert.equal(manifest.files.length, 8);
    for (const f of manifest.files) {
      const { createHash } = await import('node:crypto');
      assert.equal(createHash('sha256').update(t1.get(f.path)!).digest('hex'), f.sha256, f.path);
    }
    assert.equal(manifest.sources.length, 5);
    assert.deepEqual(manifest.parameters.levels, 3);
    // every image has the output size and 3 channels
    const z0 = await decodeImage(join(root, 'out1', 'images', 'a-tissue_z0.png'));
    assert.equal(z0.width, 96);
    assert.equal(z0.height, 96);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('synth: background, pen and tiny tiles are skipped with reasons; the list loads as FocusPath', async () => {
  const root = tempDir();
  try {
    const src = join(root, 'src');
    await writeSources(src);
    const out = join(root, 'out');
    const res = await synthesizeDataset({ inputs: [src], outDir: out, seed: 3, ...OPTIONS });
    const reasons = Object.fromEntries(res.skipped.map((s) => [s.path.split('/').pop(), s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['c-background.png', 'd-pen.png', 'e-tiny.png']);
    assert.match(reasons['c-background.png']!, /^background: /);
    assert.match(reasons['d-pen.png']!, /^no in-focus detail/);
    assert.match(reasons['e-tiny.png']!, /^too small: 20x20/);
    assert.deepEqual(res.used.map((s) => [s.name, s.slide]), [['a-tissue', 1], ['b-tissue', 2]]);
    // both tissue tiles are larger than 96 px, so both are cropped (no padding)
    assert.equal(res.used[0]!.crop!.padded, false);
    assert.equal(res.used[1]!.crop!.width, 96);

    const lines = readFileSync(join(out, 'list.txt'), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'a-tissue_z0.tif,1,0,0,0,0,0');
    // name.tif,slide,strip,slice,position,score (disk radius, px),z-level
    assert.equal(lines[3], 'a-tissue_z3.tif,1,0,3,0,2.4,3');
    assert.equal(lines[5], 'b-tissue_z1.tif,2,0,1,0,0.8,1');
    const ds = await loadFocusPath(join(out, 'list.txt'));
    assert.equal(ds.items.length, 8);
    assert.deepEqual(ds.items.map((it) => it.target), [0, 1, 2, 3, 0, 1, 2, 3]);
    assert.deepEqual([...new Set(ds.items.map((it) => it.group))], ['1', '2']);
    assert.ok(ds.items.every((it) => it.path.endsWith('.png') && existsSync(it.path)));
    // blurrier with z: the z3 image keeps less detail than z0
    const a0 = assessTissue(await decodeImage(ds.items[0]!.path));
    const a3 = assessTissue(await decodeImage(ds.items[3]!.path));
    assert.ok(a3.detailFraction < a0.detailFraction);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('synth: --max-tiles stops early; an interrupted run leaves no list.txt or manifest.json', async () => {
  const root = tempDir();
  try {
    const src = join(root, 'src');
    await writeSources(src);
    const out = join(root, 'out');
    const limited = await synthesizeDataset({ inputs: [src], outDir: out, maxTiles: 1, ...OPTIONS });
    assert.equal(limited.used.length, 1);
    assert.equal(limited.images, 4);
    assert.ok(existsSync(join(out, 'manifest.json')));
    // re-run into the same folder and fail half-way: the old completion markers must be gone
    await assert.rejects(
      synthesizeDataset({
        inputs: [src],
        outDir: out,
        ...OPTIONS,
        onProgress: () => {
          throw new Error('interrupted');
        },
      }),
      /interrupted/,
    );
    assert.ok(!existsSync(join(out, 'list.txt')));
    assert.ok(!existsSync(join(out, 'manifest.json')));
    assert.ok(readdirSync(join(out, 'images')).every((f) => f.endsWith('.png')), 'no temporary files left');
    // a complete re-run removes images the new dataset does not list
    writeFileSync(join(out, 'images', 'stale_z9.png'), 'x');
    const full = await synthesizeDataset({ inputs: [src], outDir: out, ...OPTIONS });
    assert.equal(readdirSync(join(out, 'images')).length, full.images);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('synth: bad inputs fail before any work with one message', async () => {
  const root = tempDir();
  try {
    const src = join(root, 'src');
    await writeSources(src);
    writeFileSync(join(src, 'broken.png'), 'not a png');
    await assert.rejects(synthesizeDataset({ inputs: [src], outDir: join(root, 'out'), ...OPTIONS }), /1 of 6 source tiles cannot be read: .*broken\.png/);
    assert.ok(!existsSync(join(root, 'out')), 'nothing written');
    rmSync(join(src, 'broken.png'));
    await assert.rejects(synthesizeDataset({ inputs: [join(root, 'nope.png')], outDir: join(root, 'out') }), /nope\.png: file not found/);
    // a folder holding other files is not taken over
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'keep me');
    await assert.rejects(synthesizeDataset({ inputs: [src], outDir: foreign, ...OPTIONS }), /output folder holds other files \(notes\.txt\)/);
    await assert.rejects(synthesizeDataset({ inputs: [src], outDir: join(root, 'o'), levels: -1 }), /Expected integer between 0 and 30 for levels but received -1/);
    await assert.rejects(synthesizeDataset({ inputs: [join(src, 'c-background.png')], outDir: join(root, 'o2'), ...OPTIONS }), /no usable source tiles: all 1 were skipped/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('planCrop / applyCropPlan: seeded crops inside the tile, centred mirror padding', () => {
  const src = makeTissueLikeImage(50, 200, 4);
  const plan = planCrop(50, 200, 64, new Mulberry32(1));
  assert.equal(plan.padded, true);
  assert.equal(plan.x, 0);
  assert.equal(plan.width, 50);
  assert.equal(plan.height, 64);
  assert.ok(plan.y >= 0 && plan.y <= 200 - 64);
  assert.deepEqual(planCrop(50, 200, 64, new Mulberry32(1)), plan);
  const img = applyCropPlan(src, plan, 64);
  assert.equal(img.width, 64);
  // the source window sits at offset 7 (= floor((64 - 50) / 2)), mirrored on both sides
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 50; x++) {
      const s = ((plan.y + y) * 50 + x) * 3, d = (y * 64 + x + 7) * 3;
      assert.equal(img.data[d], src.data[s]);
    }
    assert.equal(img.data[(y * 64 + 6) * 3], img.data[(y * 64 + 7) * 3], 'half-sample mirror');
  }
});

test('canonicalJson sorts keys at every level and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, b: 'x' }] }), '{"a":[{"b":"x","d":2}],"b":1}');
});

test('tissue test on the real tiles: background and pen-only tiles rejected, tissue kept', sharedOnly(), async () => {
  const dir = sharedPath('data', 'tiles');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png'));
  const mustSkip = files.filter((f) => f.startsWith('no-tissue') || f.startsWith('almost-white'));
  assert.equal(mustSkip.length, 8);
  for (const f of mustSkip) {
    const img = await decodeImage(join(dir, f));
    assert.notEqual(rejectReason(assessTissue(img)), null, `${f} was not rejected`);
  }
  for (const f of files.filter((f) => f.startsWith('tissue-') || f.includes('nuclei-score-level'))) {
    const img = await decodeImage(join(dir, f));
    assert.equal(rejectReason(assessTissue(img)), null, `${f} was rejected`);
  }
});

/** Mean squared grey Laplacian (interior): high-frequency energy, falls as blur grows. */
function sharpness(img: RgbImage): number {
  const { width: w, height: h, data } = img;
  const g = (i: number): number => 0.299 * data[i * 3]! + 0.587 * data[i * 3 + 1]! + 0.114 * data[i * 3 + 2]!;
  let s = 0;
  for (let y = 1; y < h - 1; y++) for (let x = 1; x < w - 1; x++) {
    const i = y * w + x;
    const l = 4 * g(i) - g(i - 1) - g(i + 1) - g(i - w) - g(i + w);
    s += l * l;
  }
  return s / ((w - 2) * (h - 2));
}

test('synth --psf diffraction: defocus in µm at the source MPP (file pHYs or option), output at the target MPP', async () => {
  const root = tempDir();
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    const tile = makeTissueLikeImage(160, 160, 11);
    // one source records 0.5 µm/px in its PNG pHYs (50,800 dpi), the other records nothing
    await sharp(Buffer.from(tile.data), { raw: { width: 160, height: 160, channels: 3 } }).withMetadata({ density: 25400 / 0.5 }).png().toFile(join(src, 'a-with-mpp.png'));
    writeFileSync(join(src, 'b-no-mpp.png'), await encodePng(makeTissueLikeImage(160, 160, 12)));
    const common = { inputs: [src], size: 96, levels: 4, noise: 0, jpeg: null, seed: 4, psf: 'diffraction' as const, zStepUm: 1 };
    await assert.rejects(synthesizeDataset({ ...common, outDir: join(root, 'none') }), /b-no-mpp\.png: no pixel size in the file; give --source-mpp/);

    // simulated 40x: 0.5 µm/px sources made at 0.25 µm/px (a 48 px field of the source per 96 px output)
    const out = join(root, 'out');
    const res = await synthesizeDataset({ ...common, outDir: out, sourceMpp: 1, targetMpp: 0.25, augment: { annular: 0, obscuration: 0.5, motionUm: 0, stain: 0.1 } });
    assert.equal(res.images, 10);
    const [a, b] = res.used;
    assert.equal(a!.mpp, 0.5);
    assert.equal(a!.mppFrom, 'file');
    assert.equal(a!.crop!.width, 48);
    assert.equal(b!.mpp, 1, 'the option fills in for a file without MPP');
    assert.equal(b!.mppFrom, 'option');
    assert.equal(b!.crop!.width, 24);
    assert.ok(a!.augment!.stain, 'stain jitter drawn');
    const lines = readFileSync(join(out, 'list.txt'), 'utf8').trimEnd().split('\n');
    // score and z-level columns are the defocus in µm (z · 1 µm)
    assert.equal(lines[3], 'a-with-mpp_z3.tif,1,0,3,0,3,3');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as SynthManifest;
    assert.equal(manifest.parameters.psf, 'diffraction');
    assert.equal(manifest.parameters.targetMpp, 0.25);
    assert.equal(manifest.parameters.optics!.na, 0.75);
    // blur grows with defocus, and every output is 96 x 96
    let last = Infinity;
    for (let z = 0; z <= 4; z++) {
      const img = await decodeImage(join(out, 'images', `a-with-mpp_z${z}.png`));
      assert.equal(img.width, 96);
      const s = sharpness(img);
      assert.ok(s < last, `z ${z}: sharpness ${s} not below ${last}`);
      last = s;
    }
    // reproducible
    const again = await synthesizeDataset({ ...common, outDir: join(root, 'again'), sourceMpp: 1, targetMpp: 0.25, augment: { annular: 0, obscuration: 0.5, motionUm: 0, stain: 0.1 } });
    assert.equal(again.manifestHash, res.manifestHash);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('synth --psf diffraction: the same tissue at 0.5 µm/px and simulated 40x has the same blur in µm', async () => {
  // a 1.5 µm defocus must blur a 0.25 µm/px rendering over twice as many pixels as a 0.5 µm/px one:
  // the sharpness ratio z3/z0 (defocus 0 vs 1.5 µm) is compared after area-averaging the 40x one to 20x
  const root = tempDir();
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 't.png'), await encodePng(makeTissueLikeImage(200, 200, 21)));
    const common = { inputs: [src], levels: 3, noise: 0, jpeg: null, seed: 1, psf: 'diffraction' as const, zStepUm: 0.5, sourceMpp: 0.5 };
    await synthesizeDataset({ ...common, outDir: join(root, 'x20'), size: 96, targetMpp: 0.5 });
    await synthesizeDataset({ ...common, outDir: join(root, 'x40'), size: 192, targetMpp: 0.25 });
    const { resampleToMpp } = await import('../../src/core/resample.js');
    const s20 = await decodeImage(join(root, 'x20', 'images', 't_z3.png'));
    const s40 = resampleToMpp(await decodeImage(join(root, 'x40', 'images', 't_z3.png')), 0.25, 0.5);
    const d = Math.abs(sharpness(s20) - sharpness(s40)) / sharpness(s20);
    assert.ok(d < 0.1, `sharpness differs by ${(100 * d).toFixed(1)} %`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('synth renders a source as stored within the as-stored tolerance (cmu-1 0.499 for 0.5)', () => {
  assert.equal(effectiveTarget(0.499, 0.5), 0.499);
  assert.equal(effectiveTarget(0.25, 0.5), 0.5);
  assert.equal(effectiveTarget(0.5, 0.25), 0.25);
  assert.equal(effectiveTarget(0.3, null), 0.3);
});
