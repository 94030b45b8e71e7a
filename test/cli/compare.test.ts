/**
 * `focuslite compare` end to end on a synthetic FocusPath-layout dataset made by `focuslite synth`:
 * the report (Markdown, JSON, CSV of every score) and the four plots; a corrupt image is reported
 * and the rest compared; option errors are one line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { spearman } from '../../src/core/stats.js';
import { encodePng } from '../../src/io/encode.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot, sharedPath } from '../helpers.js';
import { ORT_AVAILABLE } from '../io/onnx/onnx-helpers.js';

const bin = join(projectRoot, 'bin', 'focuslite.js');
const root = mkdtempSync(join(tmpdir(), 'focuslite-cli-compare-'));
const data = join(root, 'synth');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  const tiles = join(root, 'tiles');
  mkdirSync(tiles);
  for (const seed of [1, 2, 3]) writeFileSync(join(tiles, `t${seed}.png`), await encodePng(makeTissueLikeImage(300, 300, seed)));
  const res = await run(['synth', tiles, '-o', data, '--size', '256', '--levels', '4', '--seed', '9']);
  assert.equal(res.code, 0, res.stderr);
});
after(() => rmSync(root, { recursive: true, force: true }));

interface ReportJson {
  dataset: { n: number; positives: number };
  methods: Array<{ key: string; kind: string; parameters: number; unit: string; n: number; srcc: number | null; rocAuc: number | null; prAuc: number | null; msPer1024: number | null; failures: unknown[] }>;
  imageFailures: Array<{ file: string; error: string }>;
}

async function assertPng(file: string, minWidth: number): Promise<void> {
  const meta = await sharp(readFileSync(file)).metadata();
  assert.equal(meta.format, 'png', file);
  assert.ok(meta.width! >= minWidth && meta.height! >= 300, `${file}: ${meta.width}x${meta.height}`);
  // not a blank page: the plot has ink
  const { data: px } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  let dark = 0;
  for (const v of px) if (v < 128) dark++;
  assert.ok(dark > 2000, `${file}: only ${dark} dark pixels`);
}

test('compare --methods all on a synthetic FocusPath dataset writes the report, the scores and four plots', async () => {
  const out = join(root, 'all');
  const onnx = ORT_AVAILABLE && existsSync(sharedPath('reference', 'official-onnx', 'eonss.onnx')) ? ['-w', sharedPath('reference', 'official-onnx', 'focuslitenn-1kernel.onnx')] : [];
  const res = await run(['compare', '--focuspath', join(data, 'list.txt'), '--images', join(data, 'images'), '-o', out, '-t', '2', ...onnx]);
  assert.equal(res.code, 0, res.stderr);
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.equal(res.stdout, md);
  assert.match(md, /^## FocusPath: .*list\.txt \(15 images, 6 positive\)\n/);
  assert.match(md, /\| Type \| Method \| Params \| SRCC \| PLCC \| ROC-AUC \| PR-AUC \| ms per 1024² \| n \|/);
  for (const label of ['FocusLiteNN-1 \\(built-in\\)', 'FQPath', 'HVS-MaxPol-1', 'HVS-MaxPol-2', 'Synthetic-MaxPol', 'Variance of Laplacian', 'Tenengrad', 'Brenner', 'MLV', 'S index', 'GPC', 'LPC-SI']) {
    assert.match(md, new RegExp(`\\| (data-driven|knowledge-based) \\| ${label} \\| [~\\d,]+ \\| -?\\d\\.\\d{4} \\| -?\\d\\.\\d{4} \\| \\d\\.\\d{4} \\| \\d\\.\\d{4} \\| [\\d.]+ \\| 15 \\|`), label);
  }
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
  assert.equal(json.dataset.n, 15);
  assert.equal(json.dataset.positives, 6); // |z| = 3, 4 of three tiles
  assert.equal(json.methods.length, 12 + onnx.length / 2);
  assert.equal(json.methods[0]!.kind, 'data-driven'); // the paper's grouping: data-driven first
  const fl = json.methods.find((m) => m.key === 'focuslitenn')!;
  assert.equal(fl.parameters, 148);
  assert.equal(fl.unit, 'crops');
  assert.equal(json.methods.find((m) => m.key === 'fqpath')!.unit, 'image');
  for (const m of json.methods) {
    assert.equal(m.n, 15, m.key);
    assert.ok(m.msPer1024! > 0, m.key);
    assert.ok(m.rocAuc! >= 0 && m.rocAuc! <= 1, m.key);
    assert.deepEqual(m.failures, []);
  }
  // blur ranks the levels of this synthetic set: every MaxPol measure gets the ranking nearly right
  for (const key of ['fqpath', 'hvs-maxpol-1', 'hvs-maxpol-2']) assert.ok(json.methods.find((m) => m.key === key)!.srcc! > 0.8, key);
  if (onnx.length > 0) {
    const o = json.methods.find((m) => m.key === 'onnx:focuslitenn-1kernel')!;
    assert.equal(o.parameters, 148);
    assert.match(md, /\| data-driven \| focuslitenn-1kernel \| ~148 \|/);
  }

  const csv = readFileSync(join(out, 'scores.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv.length, 16);
  const header = csv[0]!.split(',');
  assert.deepEqual(header.slice(0, 6), ['name', 'path', 'target', 'label', 'width', 'height']);
  assert.ok(header.includes('focuslitenn') && header.includes('laplacian-variance'));
  for (const line of csv.slice(1)) {
    const cells = line.split(',');
    assert.equal(cells.length, header.length);
    assert.ok(cells.slice(6).every((c) => Number.isFinite(Number(c)) && c !== ''), line);
  }
  // the CSV's scores reproduce the table: SRCC of FQPath from its column
  const col = header.indexOf('fqpath');
  const rows = csv.slice(1).map((l) => l.split(','));
  const srcc = spearman(rows.map((r) => Number(r[col])), rows.map((r) => Number(r[2])));
  assert.ok(Math.abs(srcc - json.methods.find((m) => m.key === 'fqpath')!.srcc!) < 1e-12);
  for (const name of ['scatter', 'histograms', 'roc', 'tradeoff']) {
    await assertPng(join(out, `${name}.png`), 700);
    assert.match(readFileSync(join(out, `${name}.svg`), 'utf8'), /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  }
});

test('a corrupt image is reported and skipped; the other images are compared; exit code 1', async () => {
  const list = join(root, 'broken.txt');
  writeFileSync(list, readFileSync(join(data, 'list.txt'), 'utf8'));
  writeFileSync(join(data, 'images', 'broken_z0.png'), 'not a png');
  appendFileSync(list, 'broken_z0.tif,9,0,0,0,0,0\n');
  const out = join(root, 'broken');
  const res = await run(['compare', '--focuspath', list, '--images', join(data, 'images'), '-o', out, '-t', '1', '--methods', 'brenner,tenengrad', '--no-plots']);
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, /broken_z0\.png: .*\(image skipped by every method\)/);
  assert.match(res.stderr, /1 image\/method failure\(s\)/);
  const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ReportJson;
  assert.equal(json.imageFailures.length, 1);
  assert.deepEqual(json.methods.map((m) => [m.key, m.n]), [['brenner', 15], ['tenengrad', 15]]);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /### Failures \(1\)/);
  assert.ok(!existsSync(join(out, 'roc.png')));
});

test('compare: unknown methods, missing datasets and missing ONNX files are one line before any scoring', async () => {
  const unknown = await run(['compare', '--focuspath', join(data, 'list.txt'), '--methods', 'fqpath,sharpness9', '-o', join(root, 'x')]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^focuslite: Unknown method "sharpness9" for --methods; known: all, focuslitenn, .*fqpath/);
  const none = await run(['compare', '-o', join(root, 'x')]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Expected exactly one of --focuspath, --tcga, --csv but received 0/);
  const missing = await run(['compare', '--focuspath', join(data, 'list.txt'), '--methods', 'brenner', '-w', join(root, 'nope.onnx'), '-o', join(root, 'x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.onnx: file not found|onnxruntime-node/);
  assert.ok(!existsSync(join(root, 'x', 'report.md')));
});
