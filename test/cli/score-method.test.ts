/**
 * `score --method` and `score --weights x.onnx`: a classic measure scores the whole image as the
 * paper ran it (FQPath equals the original MATLAB code on a TCGA@Focus patch), or its crop grid
 * with --crop/--stride/--grid; an ONNX export equals the original checkpoint natively; misuse is
 * one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/core/measures/register-builtin.js';
import { cropGrid } from '../../src/core/grid.js';
import { getMeasure } from '../../src/core/measures/registry.js';
import { gridOrigins } from '../../src/core/score.js';
import { decodeImage } from '../../src/io/decode.js';
import { encodePng } from '../../src/io/encode.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot, sharedOnly, sharedPath } from '../helpers.js';
import { onnxSharedOnly } from '../io/onnx/onnx-helpers.js';

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { cwd: projectRoot, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

interface Rec { file: string; score: number; crops: number; rows: number; cols: number; grid?: number[][] }
const round = (v: number): number => Number(v.toFixed(6));
const patch = sharedPath('data', 'tcga-focus', 'out-of-focus_patch_i_9651_j_81514.png');

test('score --method fqpath scores the whole image: the original MATLAB score of the TCGA@Focus patch', sharedOnly(), () => {
  const refs = JSON.parse(readFileSync(sharedPath('reference', 'baselines', 'reference-scores.json'), 'utf8')) as { images: Array<{ path: string; scores: Record<string, { score: number }> }> };
  const ref = refs.images.find((im) => im.path === 'data/tcga-focus/out-of-focus_patch_i_9651_j_81514.png')!.scores.FQPath!.score;
  const res = run('score', patch, '--method', 'fqpath', '-f', 'json');
  assert.equal(res.code, 0, res.stderr);
  const [rec] = JSON.parse(res.stdout) as Rec[];
  assert.equal(rec!.score, round(ref)); // printed to 6 decimals; the measure itself matches to 1e-9 (parity tests)
  assert.deepEqual([rec!.crops, rec!.rows, rec!.cols], [1, 1, 1]);
});

test('score --method with --grid or --crop scores the crop grid, crop by crop as the measure does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-score-method-'));
  try {
    const file = join(dir, 'tissue.png');
    writeFileSync(file, await encodePng(makeTissueLikeImage(500, 400, 3)));
    const image = await decodeImage(file);
    const grid = cropGrid(image.width, image.height, 235, 128);
    const { xs, ys } = gridOrigins(grid);
    const expected = Array.from(getMeasure('brenner').scoreCrops(image, xs, ys, 235), round);
    for (const extra of [['--grid'], ['--crop', '235', '--grid'], ['--stride', '128', '--grid']]) {
      const res = run('score', file, '--method', 'brenner', '-f', 'json', '-t', '2', ...extra);
      assert.equal(res.code, 0, res.stderr);
      const [rec] = JSON.parse(res.stdout) as Rec[];
      assert.deepEqual([rec!.rows, rec!.cols], [grid.rows, grid.cols]);
      assert.deepEqual(rec!.grid!.flat(), expected, extra.join(' '));
    }
    const whole = JSON.parse(run('score', file, '--method', 'brenner', '-f', 'json').stdout) as Rec[];
    assert.equal(whole[0]!.score, round(getMeasure('brenner').scoreImage(image)));
    // --method focuslitenn is the default model, exactly
    assert.equal(run('score', file, '--method', 'focuslitenn', '-f', 'csv').stdout, run('score', file, '-f', 'csv').stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('score --weights x.onnx equals the same checkpoint scored natively', onnxSharedOnly(), () => {
  const onnx = run('score', patch, '--weights', sharedPath('reference', 'official-onnx', 'focuslitenn-1kernel.onnx'), '-f', 'json', '--grid');
  const native = run('score', patch, '--weights', sharedPath('reference', 'official-checkpoints', 'focuslitenn-1kernel.pt'), '-f', 'json', '--grid');
  assert.equal(onnx.code, 0, onnx.stderr);
  const [a] = JSON.parse(onnx.stdout) as Rec[];
  const [b] = JSON.parse(native.stdout) as Rec[];
  assert.equal(a!.score, -1.548026); // the original code's score
  assert.equal(b!.score, -1.548026);
  const diffs = a!.grid!.flat().map((v, i) => Math.abs(v - b!.grid!.flat()[i]!));
  assert.ok(Math.max(...diffs) <= 2e-6, `max crop difference ${Math.max(...diffs)}`);
});

test('score --method misuse is one line: unknown names, --weights with a classic measure', () => {
  const unknown = run('score', 'x.png', '--method', 'sharpness9');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^focuslite: Unknown method "sharpness9" for --method; known: focuslitenn, .*fqpath.*\n$/);
  const both = run('score', 'x.png', '--method', 'fqpath', '--weights', 'm.json');
  assert.equal(both.code, 1);
  assert.match(both.stderr, /^focuslite: --weights cannot be combined with --method fqpath/);
});
