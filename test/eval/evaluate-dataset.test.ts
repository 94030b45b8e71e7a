import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { evalTargets, evaluateDataset, evaluationRow, formatEvaluationJson, formatEvaluationMarkdown, loadEvalDataset, modelName, scoreDataset, scoresCsv } from '../../src/eval/evaluate-dataset.js';
import { averagePrecision, pearson, rocAuc, spearman } from '../../src/core/stats.js';
import { binarizeFocusPath, evaluate } from '../../src/eval/metrics.js';
import { parseScoreCsv, type DatasetItem } from '../../src/io/datasets/index.js';
import { projectRoot } from '../helpers.js';
import { laplacianModel, writeFocusPathFixture, writeLaplacianModel, writeTcgaFixture, type FocusPathFixture, type TcgaFixture } from './eval-fixtures.js';

let dir: string;
let fp: FocusPathFixture;
let tcga: TcgaFixture;
let weights: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'focuslite-eval-'));
  fp = await writeFocusPathFixture(dir);
  tcga = await writeTcgaFixture(dir);
  weights = writeLaplacianModel(join(dir, 'model.json'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The scores CSV as written by scoresCsv, read back (name, score, target, label). */
function readScores(path: string): Array<{ name: string; score: number; target: number; label: number | null }> {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(header, 'name,path,score,target,label,width,height');
  return lines.map((l) => {
    const f = l.split(',');
    return { name: f[0]!, score: Number(f[2]), target: Number(f[3]), label: f[4] === '' ? null : Number(f[4]) };
  });
}

describe('evalTargets', () => {
  const item = (target: number, label?: number): DatasetItem => ({ path: `/x/${target}`, name: `${target}`, target, ...(label !== undefined ? { label } : {}) });

  test('FocusPath: target |z|, labels |z| >= 3 blurry', () => {
    const t = evalTargets('focuspath', [0, 1, 2, 3, 5].map((z) => item(z)));
    assert.deepEqual(Array.from(t.target), [0, 1, 2, 3, 5]);
    assert.deepEqual(t.labels, [0, 0, 0, 1, 1]);
  });

  test('TCGA@Focus: target and positive class = label 1 (out of focus)', () => {
    const t = evalTargets('tcga-at-focus', [item(0, 0), item(1, 1), item(1, 1)]);
    assert.deepEqual(Array.from(t.target), [0, 1, 1]);
    assert.deepEqual(t.labels, [0, 1, 1]);
  });

  test('CSV: score column as target; labels only when every row has one', () => {
    assert.equal(evalTargets('csv', [item(0.5), item(2)]).labels, null);
    assert.deepEqual(evalTargets('csv', [item(0.5, 0), item(2, 1)]).labels, [0, 1]);
    assert.throws(() => evalTargets('csv', [item(0.5, 0), item(2)]), /label on every row or on none, but 1 of 2 rows have none \(first: 2\)/);
  });
});

describe('evaluateDataset', () => {
  test('FocusPath: metrics equal metrics.ts on the scores, scores in list order', async () => {
    const dataset = await loadEvalDataset({ format: 'focuspath', list: fp.list, images: fp.images });
    const model = laplacianModel();
    const ev = await evaluateDataset(dataset, model, { threads: 2 });
    assert.deepEqual(ev.images.map((im) => im.name), fp.names);
    const scores = ev.images.map((im) => im.score);
    assert.deepEqual(ev.metrics, evaluate(scores, fp.absZ, binarizeFocusPath(fp.absZ)));
    assert.equal(ev.metrics.srcc, spearman(scores, fp.absZ));
    assert.equal(ev.metrics.plcc, pearson(scores, fp.absZ));
    assert.equal(ev.metrics.rocAuc, rocAuc(scores, binarizeFocusPath(fp.absZ)));
    assert.equal(ev.metrics.ap, averagePrecision(scores, binarizeFocusPath(fp.absZ)));
    // the Laplacian model ranks blur: the fixture is a sanity check of the whole path
    assert.ok(ev.metrics.srcc > 0.8, `SRCC ${ev.metrics.srcc}`);
    assert.equal(ev.dataset.n, 24);
    assert.equal(ev.dataset.positives, 12);
    assert.equal(ev.model.params, 148);
    assert.equal(ev.timing.images, 24);
    assert.ok(ev.timing.imagesPerSecond > 0 && ev.timing.computeMsPerImage > 0);
  });

  test('same scores with one thread as with two (scoring is deterministic)', async () => {
    const dataset = await loadEvalDataset({ format: 'focuspath', list: fp.list });
    const a = await scoreDataset(dataset.items, laplacianModel(), { threads: 1 });
    const b = await scoreDataset(dataset.items, laplacianModel(), { threads: 2 });
    assert.deepEqual(Array.from(a.scores), Array.from(b.scores));
  });

  test('TCGA@Focus: correlations vs label, positive = out of focus', async () => {
    const dataset = await loadEvalDataset({ format: 'tcga-at-focus', list: tcga.list, images: tcga.images });
    const ev = await evaluateDataset(dataset, laplacianModel(), { threads: 2 });
    const scores = ev.images.map((im) => im.score);
    assert.deepEqual(ev.metrics, evaluate(scores, tcga.labels, tcga.labels));
    assert.equal(ev.metrics.rocAuc, 1, 'blurred patches all score higher');
  });

  test('CSV with and without labels', async () => {
    const csv = join(dir, 'scores-in.csv');
    const absZ = fp.absZ;
    writeFileSync(csv, ['path,score,label', ...fp.names.map((n, i) => `images/${n.replace('.tif', '.png')},${absZ[i]! * 1.5},${absZ[i]! >= 3 ? 1 : 0}`)].join('\n'));
    const dataset = await loadEvalDataset({ format: 'csv', list: csv });
    const ev = await evaluateDataset(dataset, laplacianModel(), { threads: 2 });
    const scores = ev.images.map((im) => im.score);
    const target = absZ.map((z) => z * 1.5);
    assert.deepEqual(ev.metrics, evaluate(scores, target, binarizeFocusPath(absZ)));

    const plain = join(dir, 'scores-plain.csv');
    writeFileSync(plain, fp.names.map((n, i) => `images/${n.replace('.tif', '.png')},${absZ[i]}`).join('\n'));
    const ev2 = await evaluateDataset(await loadEvalDataset({ format: 'csv', list: plain }), laplacianModel(), { threads: 1 });
    assert.equal(ev2.metrics.rocAuc, undefined);
    assert.equal(ev2.metrics.srcc, spearman(ev2.images.map((im) => im.score), absZ));
  });

  test('reports: Table-1 row, Markdown and JSON, scores CSV readable by the CSV loader', async () => {
    const dataset = await loadEvalDataset({ format: 'focuspath', list: fp.list });
    const ev = await evaluateDataset(dataset, laplacianModel(), { threads: 2, name: 'Laplacian | test' });
    const row = evaluationRow(ev);
    assert.equal(row.model, 'Laplacian | test');
    assert.equal(row.msPerImage, ev.timing.computeMsPerImage);
    const md = formatEvaluationMarkdown(ev);
    assert.match(md, /\| Model \| Params \| SRCC \| PLCC \| ROC-AUC \| AP \| ms\/image \|/);
    assert.match(md, /\| Laplacian \\\| test \| 148 \| /);
    assert.match(md, /images\/s/);
    const json = JSON.parse(formatEvaluationJson(ev)) as { rows: Array<Record<string, unknown>>; metrics: unknown; timing: { images: number } };
    assert.equal(json.rows[0]!.srcc, ev.metrics.srcc);
    assert.deepEqual(json.metrics, ev.metrics);
    assert.equal(json.timing.images, 24);
    const parsed = parseScoreCsv(scoresCsv(ev.images), 'scores.csv');
    assert.deepEqual(parsed.map((r) => r.score), ev.images.map((im) => im.score), 'full-precision scores survive the CSV');
    assert.equal(modelName({ kernels: 10, pooling: 'min-max' }), 'FocusLiteNN-10 (min-max)');
  });
});

describe('focuslite eval (CLI)', () => {
  test('FocusPath: JSON on stdout, report files and scores; metrics equal metrics.ts on the written scores', () => {
    const out = join(dir, 'eval-out');
    const scoresFile = join(dir, 'fp-scores.csv');
    const r = cli(['eval', '--weights', weights, '--focuspath', fp.list, '--images', fp.images, '--threads', '2', '--format', 'json', '--out', out, '--scores', scoresFile]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /24 images in [\d.]+ s with 2 threads: [\d.]+ images\/s, [\d.]+ ms per image/);
    const report = JSON.parse(r.stdout) as { rows: Array<{ srcc: number; plcc: number; rocAuc: number; ap: number; params: number }> };
    const rows = readScores(scoresFile);
    assert.deepEqual(rows.map((x) => x.name), fp.names);
    const scores = rows.map((x) => x.score);
    const expected = evaluate(scores, fp.absZ, binarizeFocusPath(fp.absZ));
    assert.equal(report.rows[0]!.srcc, expected.srcc);
    assert.equal(report.rows[0]!.plcc, expected.plcc);
    assert.equal(report.rows[0]!.rocAuc, expected.rocAuc);
    assert.equal(report.rows[0]!.ap, expected.ap);
    assert.equal(report.rows[0]!.params, 148);
    assert.equal(readFileSync(join(out, 'scores.csv'), 'utf8'), readFileSync(scoresFile, 'utf8'));
    assert.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).rows, report.rows);
    assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /^## FocusPath: .*\(24 images, 12 positive\)/);
  });

  test('TCGA@Focus: Markdown table on stdout', () => {
    const r = cli(['eval', '--weights', weights, '--tcga', tcga.list, '--images', tcga.images, '--threads', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\| FocusLiteNN-1 \| 148 \| [\d.]+ \| [\d.]+ \| 1\.0000 \| 1\.0000 \| [\d.]+ \|/);
  });

  test('missing images: all listed (count + first few) before any scoring, non-zero exit', () => {
    const sub = join(dir, 'missing');
    const copy = join(sub, 'list.txt');
    const names = fp.names.slice();
    names.push('Slide09_Strip00_Slice00_Position00.tif', 'Slide09_Strip00_Slice01_Position00.tif', 'Slide09_Strip00_Slice02_Position00.tif');
    const rows = readFileSync(fp.list, 'utf8').trim().split('\n');
    rows.push(...names.slice(-3).map((n, i) => `${n},9,0,${i},0,50,${i}`));
    spawnSync('mkdir', ['-p', sub]);
    writeFileSync(copy, rows.join('\n') + '\n');
    const scoresFile = join(sub, 'scores.csv');
    const r = cli(['eval', '--weights', weights, '--focuspath', copy, '--images', fp.images, '--scores', scoresFile]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /list\.txt: 3 of 27 listed images are missing or unreadable: Slide09_Strip00_Slice00_Position00\.tif, Slide09_Strip00_Slice01_Position00\.tif, Slide09_Strip00_Slice02_Position00\.tif/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal(existsSync(scoresFile), false, 'nothing scored');
  });

  test('usage errors: no dataset, two datasets, unwritable scores path', () => {
    let r = cli(['eval', '--weights', weights]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Expected exactly one of --focuspath, --tcga, --csv but received 0/);
    r = cli(['eval', '--weights', weights, '--focuspath', fp.list, '--tcga', tcga.list]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /received 2/);
    r = cli(['eval', '--weights', weights, '--focuspath', fp.list, '--scores', join(dir, 'no-such-dir', 's.csv')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no-such-dir\/s\.csv: cannot write \(its folder does not exist\)/);
    r = cli(['eval', '--weights', weights, '--focuspath', fp.list, '--threads', '0']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /Expected integer between 1 and 256 for threads but received 0/);
  });
});

test('eval --method scores whole images with a classic measure: the metrics of its own scores', async () => {
  const out = mkdtempSync(join(dir, 'method-'));
  const r = cli(['eval', '--method', 'tenengrad', '--focuspath', fp.list, '--images', fp.images, '--threads', '2', '--format', 'json', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { rows: Array<{ model: string; params: number; srcc: number }>; model: { method: string; scale: string; kernels?: number } };
  assert.equal(report.rows[0]!.model, 'Tenengrad');
  assert.equal(report.rows[0]!.params, 0);
  assert.deepEqual([report.model.method, report.model.scale, report.model.kernels], ['tenengrad', 'relative', undefined]);
  await import('../../src/core/measures/register-builtin.js');
  const { getMeasure } = await import('../../src/core/measures/registry.js');
  const { decodeImage } = await import('../../src/io/decode.js');
  const rows = readScores(join(out, 'scores.csv'));
  const direct: number[] = [];
  for (const name of fp.names) direct.push(getMeasure('tenengrad').scoreImage(await decodeImage(join(fp.images, name.replace(/\.tif$/, '.png')))));
  assert.deepEqual(rows.map((x) => x.score), direct);
  assert.equal(report.rows[0]!.srcc, spearman(direct, fp.absZ));
});
