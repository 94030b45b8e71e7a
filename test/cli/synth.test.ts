import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../src/io/encode.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot } from '../helpers.js';

const bin = join(projectRoot, 'bin', 'focuslite.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: projectRoot }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('focuslite synth on three small tiles writes the FocusPath layout', async () => {
  const root = mkdtempSync(join(tmpdir(), 'focuslite-cli-synth-'));
  try {
    const src = join(root, 'tiles');
    mkdirSync(src);
    writeFileSync(join(src, 'one.png'), await encodePng(makeTissueLikeImage(300, 280, 1)));
    writeFileSync(join(src, 'two.png'), await encodePng(makeTissueLikeImage(200, 200, 2)));
    const white = { width: 128, height: 128, data: new Uint8Array(128 * 128 * 3).fill(244) };
    writeFileSync(join(src, 'blank.png'), await encodePng(white));
    const out = join(root, 'out');
    const res = await run(['synth', join(src, 'one.png'), join(src, 'two.png'), join(src, 'blank.png'), '-o', out, '--size', '256', '--levels', '2', '--seed', '5']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^wrote 6 images from 2 tiles \(1 skipped\) to .*out in [\d.]+ s; manifest [0-9a-f]{16}\n$/);
    assert.match(res.stderr, /skipped .*blank\.png: background: 0\.0 % tissue pixels/);
    assert.deepEqual(readdirSync(join(out, 'images')).sort(), ['one_z0.png', 'one_z1.png', 'one_z2.png', 'two_z0.png', 'two_z1.png', 'two_z2.png']);
    const list = readFileSync(join(out, 'list.txt'), 'utf8').trimEnd().split('\n');
    assert.deepEqual(list, [
      'one_z0.tif,1,0,0,0,0,0',
      'one_z1.tif,1,0,1,0,0.8,1',
      'one_z2.tif,1,0,2,0,1.6,2',
      'two_z0.tif,2,0,0,0,0,0',
      'two_z1.tif,2,0,1,0,0.8,1',
      'two_z2.tif,2,0,2,0,1.6,2',
    ]);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parameters: { size: number; seed: number; jpeg: number | null } };
    assert.equal(manifest.parameters.size, 256);
    assert.equal(manifest.parameters.seed, 5);
    assert.equal(manifest.parameters.jpeg, 90);

    // --no-jpeg is recorded; the images change
    const out2 = join(root, 'out2');
    const res2 = await run(['synth', src, '-o', out2, '--size', '256', '--levels', '2', '--seed', '5', '--no-jpeg', '--noise', '0']);
    assert.equal(res2.code, 0, res2.stderr);
    const m2 = JSON.parse(readFileSync(join(out2, 'manifest.json'), 'utf8')) as { parameters: { jpeg: number | null; noise: number } };
    assert.equal(m2.parameters.jpeg, null);
    assert.equal(m2.parameters.noise, 0);
    assert.ok(!readFileSync(join(out2, 'images', 'one_z1.png')).equals(readFileSync(join(out, 'images', 'one_z1.png'))));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('focuslite synth --psf diffraction: µm targets, MPP from the option, output at --mpp', async () => {
  const root = mkdtempSync(join(tmpdir(), 'focuslite-cli-synth-'));
  try {
    writeFileSync(join(root, 't.png'), await encodePng(makeTissueLikeImage(200, 200, 3)));
    const out = join(root, 'o');
    const r = await run(['synth', join(root, 't.png'), '-o', out, '--psf', 'diffraction', '--source-mpp', '0.5', '--mpp', '1', '--size', '64',
      '--levels', '2', '--z-step', '0.75', '--na', '0.5', '--wavelengths', '0.62,0.53,0.47', '--motion', '0.5', '--annular', '1', '--stain', '0.05']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(join(out, 'list.txt'), 'utf8').trimEnd().split('\n').map((l) => l.split(',').slice(5).join(',')), ['0,0', '0.75,0.75', '1.5,1.5']);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parameters: Record<string, unknown>; sources: Array<{ mpp: number; crop: { width: number }; augment: { obscuration: number } }> };
    assert.deepEqual(m.parameters.optics, { na: 0.5, wavelengthsUm: [0.62, 0.53, 0.47], obscuration: 0 });
    assert.equal(m.parameters.targetMpp, 1);
    assert.equal(m.sources[0]!.mpp, 0.5);
    assert.equal(m.sources[0]!.crop.width, 128, 'a 64 px output at 1 µm/px covers 128 px of a 0.5 µm/px source');
    assert.equal(m.sources[0]!.augment.obscuration, 0.5, '--annular 1: every tile through the annular pupil');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('focuslite synth rejects bad options and inputs with one line', async () => {
  const root = mkdtempSync(join(tmpdir(), 'focuslite-cli-synth-'));
  try {
    const bad = await run(['synth', 'x.png', '-o', join(root, 'o'), '--levels', '-1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Expected integer between 0 and 30 for levels but received -1/);
    const missing = await run(['synth', join(root, 'nope.png'), '-o', join(root, 'o')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    assert.match(missing.stderr, /^focuslite: .*nope\.png: file not found\n$/);
    assert.ok(!existsSync(join(root, 'o')));
    const noOut = await run(['synth', 'x.png']);
    assert.notEqual(noOut.code, 0);
    assert.match(noOut.stderr, /required option '-o, --output <dir>' not specified/);
    const optical = await run(['synth', 'x.png', '-o', join(root, 'o'), '--na', '0.5', '--z-step', '1']);
    assert.equal(optical.code, 1);
    assert.equal(optical.stderr, 'focuslite: --na, --z-step need --psf diffraction\n');
    const waves = await run(['synth', 'x.png', '-o', join(root, 'o'), '--psf', 'diffraction', '--wavelengths', '0.6,0.5']);
    assert.notEqual(waves.code, 0);
    assert.match(waves.stderr, /--wavelengths needs three numbers/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
