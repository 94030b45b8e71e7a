import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseWeights } from '../../src/core/weights.js';
import { importFocusLiteCheckpoint } from '../../src/io/torch/checkpoint.js';
import { projectRoot, sharedOnly, sharedPath } from '../helpers.js';
import { focusLiteTensors, zipCheckpoint } from '../io/torch-fixtures.js';

// Weights converted from the official checkpoints are non-commercial: they only ever go to a temp dir.
const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-import-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ckpt = (name: string): string => sharedPath('reference', 'official-checkpoints', name);

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('import converts a legacy checkpoint and prints a one-line summary', sharedOnly(), () => {
  const out = join(dir, 'k1.json');
  const r = run('import', ckpt('focuslitenn-1kernel.pt'), '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.match(r.stdout, /legacy checkpoint, 1 kernel, min pooling, relative scale, 148 parameters, trained at 0\.25 µm\/px$/m);
  const written = parseWeights(readFileSync(out, 'utf8'), out);
  const direct = importFocusLiteCheckpoint(new Uint8Array(readFileSync(ckpt('focuslitenn-1kernel.pt'))), ckpt('focuslitenn-1kernel.pt'));
  assert.deepEqual(written, direct);
});

test('import of a zip (MSE) checkpoint, and --scale overrides the name rule', sharedOnly(), () => {
  const out = join(dir, 'k10mse.json');
  const r = run('import', ckpt('focuslitenn-10kernel-mse.pt'), '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /zip checkpoint, 10 kernels, min pooling, z-level scale, 1491 parameters/);
  assert.equal(parseWeights(readFileSync(out, 'utf8')).scale, 'z-level');
  const r2 = run('import', ckpt('focuslitenn-10kernel-mse.pt'), '-o', out, '--scale', 'relative');
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(parseWeights(readFileSync(out, 'utf8')).scale, 'relative');
});

test('info prints kernels, pooling, scale, parameters and provenance (text and --json)', sharedOnly(), () => {
  const out = join(dir, 'k2.json');
  assert.equal(run('import', ckpt('focuslitenn-2kernel.pt'), '-o', out).code, 0);
  const text = run('info', out);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^kernels: +2$/m);
  assert.match(text.stdout, /^pooling: +min$/m);
  assert.match(text.stdout, /^scale: +relative/m);
  assert.match(text.stdout, /^parameters: +299$/m);
  assert.match(text.stdout, /^mpp: +0\.25 µm\/px \(training resolution: slides and images with a known pixel size are resampled to it\)$/m);
  assert.doesNotMatch(text.stdout, /^unit:/m, 'a relative model has no unit');
  assert.match(text.stdout, /^mppSource: +FocusPath/m);
  assert.match(text.stdout, /^source: +imported from focuslitenn-2kernel\.pt$/m);
  assert.match(text.stdout, /^sha256: +d962d4c5c41d566364d13d7f53644c3c94a31d19f3f83bf42dacfca6dce2d3bd$/m);
  const json = run('info', '--json', ckpt('focuslitenn-1kernel.pt'));
  assert.equal(json.code, 0, json.stderr);
  const info = JSON.parse(json.stdout) as { kernels: number; parameters: number; scale: string; provenance: { format: string; keys: string[] } };
  assert.equal(info.kernels, 1);
  assert.equal(info.parameters, 148);
  assert.equal(info.scale, 'relative');
  assert.equal(info.provenance.format, 'legacy');
  assert.deepEqual(info.provenance.keys, ['module.conv.weight', 'module.conv.bias']);
  assert.equal((info as unknown as { mpp: number }).mpp, 0.25);
  // The -mse checkpoints: z-level in FocusPath steps; --mpp on import records another resolution.
  const mse = join(dir, 'k1mse.json');
  assert.equal(run('import', ckpt('focuslitenn-1kernel-mse.pt'), '-o', mse, '--mpp', '0.5').code, 0);
  const t2 = run('info', mse);
  assert.match(t2.stdout, /^mpp: +0\.5 µm\/px/m);
  assert.match(t2.stdout, /^unit: +focuspath-step \(FocusPath \|z-level\| steps; their spacing in µm is not stated in the sources available here\)$/m);
  assert.match(t2.stdout, /^mppSource: +given at import$/m);
});

test('import refuses DenseNet with one line and writes nothing', sharedOnly(), () => {
  const out = join(dir, 'densenet.json');
  const r = run('import', ckpt('densenet13.pt'), '-o', out);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^focuslite: .*densenet13\.pt: not a FocusLiteNN checkpoint/);
  assert.equal(existsSync(out), false);
});

test('bad files and bad options exit non-zero with a one-line message', () => {
  const garbage = join(dir, 'garbage.pt');
  writeFileSync(garbage, Uint8Array.from([0x80, 0x02, 0x69, 0x00, 0x01]));
  const r = run('import', garbage, '-o', join(dir, 'g.json'));
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /garbage\.pt: unsupported pickle opcode 0x69 \(INST\)/);
  const truncated = join(dir, 'truncated.pt');
  writeFileSync(truncated, zipCheckpoint(focusLiteTensors(1)).subarray(0, 200));
  const t = run('info', truncated);
  assert.notEqual(t.code, 0);
  assert.equal(t.stderr.trim().split('\n').length, 1, t.stderr);
  assert.match(t.stderr, /truncated\.pt: /);
  const missing = run('info', join(dir, 'missing.json'));
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /missing\.json: file not found/);
  const noOutput = run('import', garbage);
  assert.notEqual(noOutput.code, 0);
  assert.match(noOutput.stderr, /--output/);
  const badScale = run('import', garbage, '-o', join(dir, 'x.json'), '--scale', 'zlevel');
  assert.notEqual(badScale.code, 0);
  assert.match(badScale.stderr, /Expected one of relative, z-level for scale but received zlevel/);
});

test('info on a crafted checkpoint needs no shared data', () => {
  const pt = join(dir, 'crafted.pt');
  writeFileSync(pt, zipCheckpoint(focusLiteTensors(2)));
  const r = run('info', pt);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^parameters: +299$/m);
  assert.match(r.stdout, /^format: +zip$/m);
});
