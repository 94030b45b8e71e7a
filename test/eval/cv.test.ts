import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCrossValidation, summarise, timeModel } from '../../src/eval/cv.js';
import type { CvReport } from '../../src/eval/cv-report.js';
import { makeSplits, parseSplitList, splitListCsv, splitSizes, type Split } from '../../src/eval/cv-splits.js';
import { loadEvalDataset } from '../../src/eval/evaluate-dataset.js';
import { meanStd } from '../../src/core/stats.js';
import { binarizeFocusPath, evaluate } from '../../src/eval/metrics.js';
import type { Dataset, DatasetItem } from '../../src/io/datasets/index.js';
import { projectRoot } from '../helpers.js';
import { laplacianModel, writeFocusPathFixture, writeTcgaFixture, type FocusPathFixture, type TcgaFixture } from './eval-fixtures.js';

function items(n: number, groups = 0): DatasetItem[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `/data/img${String(i).padStart(3, '0')}.png`,
    name: `img${String(i).padStart(3, '0')}.tif`,
    target: i % 7,
    ...(groups > 0 ? { group: `slide${i % groups}` } : {}),
  }));
}

function checkPartition(split: Split, n: number): void {
  const all = [...split.train, ...split.val, ...split.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), 'disjoint and covering');
}

describe('makeSplits', () => {
  test('60/20/20 sizes', () => {
    assert.deepEqual(splitSizes(20), { train: 12, val: 4, test: 4 });
    assert.deepEqual(splitSizes(100), { train: 60, val: 20, test: 20 });
    assert.deepEqual(splitSizes(24), { train: 14, val: 5, test: 5 });
    for (const n of [10, 20, 24, 101, 6930]) {
      const s = splitSizes(n);
      assert.equal(s.train + s.val + s.test, n);
    }
  });

  test('by image: disjoint, covering, 60/20/20, deterministic for a seed, different across splits and seeds', () => {
    const data = items(50);
    const a = makeSplits(data, { splits: 5, seed: 1 });
    assert.equal(a.length, 5);
    for (const s of a) {
      checkPartition(s, 50);
      assert.deepEqual({ train: s.train.length, val: s.val.length, test: s.test.length }, { train: 30, val: 10, test: 10 });
    }
    assert.deepEqual(makeSplits(data, { splits: 5, seed: 1 }), a, 'same seed, same splits');
    assert.notDeepEqual(a[0], a[1], 'splits differ from each other');
    assert.notDeepEqual(makeSplits(data, { splits: 5, seed: 2 })[0], a[0], 'another seed, other splits');
    assert.deepEqual(makeSplits(data, { splits: 2, seed: 1 }), a.slice(0, 2), 'split j does not depend on the number of splits');
    // the list order does not matter: the same images land in the same parts
    const reversed = [...data].reverse();
    const r = makeSplits(reversed, { splits: 1, seed: 1 })[0]!;
    const names = (d: DatasetItem[], idx: number[]): string[] => idx.map((i) => d[i]!.name).sort();
    assert.deepEqual(names(reversed, r.test), names(data, a[0]!.test));
    assert.deepEqual(names(reversed, r.val), names(data, a[0]!.val));
  });

  test('by slide: no slide in two parts, covering, sizes near 60/20/20', () => {
    const data = items(100, 10);
    const splits = makeSplits(data, { splits: 4, seed: 3, groupBy: 'slide' });
    for (const s of splits) {
      checkPartition(s, 100);
      const slidesOf = (idx: number[]): Set<string> => new Set(idx.map((i) => data[i]!.group!));
      const [tr, va, te] = [slidesOf(s.train), slidesOf(s.val), slidesOf(s.test)];
      for (const g of te) assert.ok(!tr.has(g) && !va.has(g), `slide ${g} in test and elsewhere`);
      for (const g of va) assert.ok(!tr.has(g), `slide ${g} in val and train`);
      assert.deepEqual([s.train.length, s.val.length, s.test.length], [60, 20, 20]);
    }
    assert.deepEqual(makeSplits(data, { splits: 4, seed: 3, groupBy: 'slide' }), splits);
    assert.throws(() => makeSplits(items(20, 2), { splits: 1, seed: 1, groupBy: 'slide' }), /needs at least 3 slides but the dataset has 2/);
    assert.throws(() => makeSplits(items(20), { splits: 1, seed: 1, groupBy: 'slide' }), /Cannot split by slide: item 0 \(\/data\/img000\.png\) has no slide/);
  });

  test('argument validation', () => {
    assert.throws(() => makeSplits(items(20), { splits: 0, seed: 1 }), /Expected integer between 1 and 100 for splits but received 0/);
    assert.throws(() => makeSplits(items(20), { splits: 1, seed: -1 }), /Expected integer between 0 and 4294967295 for seed but received -1/);
    assert.throws(() => makeSplits(items(7), { splits: 1, seed: 1 }), /at least 2 images but val and test have fewer \(train 5, val 1, test 1\)/);
  });
});

describe('parseSplitList', () => {
  const dataset: Pick<Dataset, 'items' | 'imagesDir'> = { items: items(10), imagesDir: '/data' };

  test('matches listed names, .png names, relative and absolute paths; header and comments skipped', () => {
    const text = [
      'path,split',
      '# comment',
      'img000.tif,train', 'img001.png,train', '/data/img002.png,train', 'img003,train', 'img004.tif,train', 'img005.tif,train',
      'img006.tif,val', 'img007.tif,validation',
      'img008.tif,test', 'img009.tif,TEST',
    ].join('\n');
    assert.deepEqual(parseSplitList(text, 'split.csv', dataset), { train: [0, 1, 2, 3, 4, 5], val: [6, 7], test: [8, 9] });
  });

  test('unlisted items take no part; round trip through splitListCsv', () => {
    const split: Split = { train: [0, 2, 4], val: [5, 6], test: [8, 9] };
    const csv = splitListCsv(dataset.items, split);
    assert.equal(csv.split('\n')[0], 'path,split');
    assert.deepEqual(parseSplitList(csv, 'split.csv', dataset), split);
  });

  test('errors name the file and line', () => {
    const base = 'img000.tif,train\nimg001.tif,train\nimg002.tif,val\nimg003.tif,val\nimg004.tif,test\n';
    assert.throws(() => parseSplitList(base + 'img005.tif,holdout\n', 's.csv', dataset), /^Error: s\.csv:6: split "holdout" is not one of train, val, test$/);
    assert.throws(() => parseSplitList(base + 'nope.tif,test\n', 's.csv', dataset), /s\.csv:6: "nope\.tif" is not in the dataset list/);
    assert.throws(() => parseSplitList(base + 'img000.png,test\n', 's.csv', dataset), /s\.csv:6: "img000\.png" was already assigned on line 1/);
    assert.throws(() => parseSplitList(base, 's.csv', dataset), /s\.csv: every part needs at least 2 images but test has fewer/);
    assert.throws(() => parseSplitList('', 's.csv', dataset), /s\.csv: no rows/);
    assert.throws(() => parseSplitList('img000.tif\n', 's.csv', dataset), /s\.csv:1: expected path,split/);
  });
});

describe('summaries and timing', () => {
  test('summarise: mean ± sample std, or the value for one split', () => {
    assert.deepEqual(summarise([0.9, 0.8, 0.7]), meanStd([0.9, 0.8, 0.7]));
    assert.equal(summarise([0.5]), 0.5);
    assert.throws(() => summarise([]), /at least one split/);
  });

  test('timeModel: a positive time per 1024x1024 image', () => {
    const ms = timeModel(laplacianModel(), { repeats: 1 });
    assert.ok(Number.isFinite(ms) && ms > 0, String(ms));
    assert.throws(() => timeModel(laplacianModel(), { repeats: 0 }), /Expected integer between 1 and 1000 for timing repeats but received 0/);
  });
});

describe('runCrossValidation (end to end on generated data)', () => {
  let dir: string;
  let fp: FocusPathFixture;
  let tcga: TcgaFixture;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'focuslite-cv-'));
    fp = await writeFocusPathFixture(dir);
    tcga = await writeTcgaFixture(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const config = { epochs: 2, batchSize: 8 };

  test('3 splits, transfer to TCGA@Focus: report with mean ± std, per-split models, metrics equal metrics.ts on the saved scores; a re-run reuses the splits', async () => {
    const dataset = await loadEvalDataset({ format: 'focuspath', list: fp.list, images: fp.images });
    const transfer = await loadEvalDataset({ format: 'tcga-at-focus', list: tcga.list, images: tcga.images });
    const outDir = join(dir, 'cv');
    const started: number[] = [];
    const report = await runCrossValidation({ dataset, transfer, outDir, splits: 3, seed: 5, config, threads: 1, timingRepeats: 1, events: { onSplitStart: (k) => started.push(k) } });
    assert.deepEqual(started, [1, 2, 3]);
    assert.equal(report.results.length, 3);
    assert.equal(report.model.params, 148);
    for (const key of ['srcc', 'plcc', 'rocAuc', 'ap'] as const) {
      const values = report.results.map((r) => r.test[key]!);
      assert.deepEqual(report.summary.test[key], meanStd(values), key);
      assert.deepEqual(report.summary.transfer![key], meanStd(report.results.map((r) => r.transfer![key]!)), `transfer ${key}`);
    }
    const expectedSplits = makeSplits(dataset.items, { splits: 3, seed: 5 });
    for (const r of report.results) {
      const splitDir = join(outDir, `split-0${r.split}`);
      assert.equal(r.modelPath, join(splitDir, 'model.json'));
      assert.ok(existsSync(r.modelPath));
      assert.deepEqual(r.sizes, { train: 14, val: 5, test: 5 });
      assert.ok(r.bestEpoch >= 1 && r.bestEpoch <= 2);
      assert.ok(r.msPer1024 > 0);
      // the split written is the split made
      assert.deepEqual(parseSplitList(readFileSync(join(splitDir, 'split.csv'), 'utf8'), 'split.csv', dataset), expectedSplits[r.split - 1]);
      // metrics recomputed from the saved test scores
      const rows = readFileSync(join(splitDir, 'test-scores.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const scores = rows.map((f) => Number(f[2]));
      const target = rows.map((f) => Number(f[3]));
      assert.deepEqual(r.test, evaluate(scores, target, binarizeFocusPath(target)));
      const testNames = expectedSplits[r.split - 1]!.test.map((i) => dataset.items[i]!.name);
      assert.deepEqual(rows.map((f) => f[0]), testNames);
      assert.ok(existsSync(join(splitDir, 'transfer-scores.csv')));
    }

    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    assert.match(md, /\| FocusLiteNN-1 \(FocusPath test\) \| 148 \| -?[\d.]+ ± [\d.]+ \| -?[\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \| [\d.]+ ± [\d.]+ \|/);
    assert.match(md, /\| FocusLiteNN-1 \(TCGA@Focus transfer\) \| 148 \| /);
    assert.match(md, /3 random 60\/20\/20 splits by image, seed 5/);
    const json = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as CvReport & { rows: Array<{ model: string; srcc: { mean: number; std: number } }> };
    assert.equal(json.rows.length, 2);
    assert.deepEqual(json.rows[0]!.srcc, report.summary.test.srcc);
    assert.equal(json.results.length, 3);

    // the same run again: every split is taken from its result.json, nothing retrained
    const again: number[] = [];
    const second = await runCrossValidation({ dataset, transfer, outDir, splits: 3, seed: 5, config, threads: 1, timingRepeats: 1, events: { onSplitStart: (k) => again.push(k) } });
    assert.deepEqual(again, []);
    assert.ok(second.results.every((r) => r.reused));
    assert.deepEqual(second.summary, report.summary);
  });

  test('given split lists, by-slide splits, and a single split (no std)', async () => {
    const dataset = await loadEvalDataset({ format: 'focuspath', list: fp.list });
    const bySlide = makeSplits(dataset.items, { splits: 1, seed: 2, groupBy: 'slide' })[0]!;
    const file = join(dir, 'given.csv');
    writeFileSync(file, splitListCsv(dataset.items, bySlide));
    const report = await runCrossValidation({ dataset, outDir: join(dir, 'cv-given'), splitLists: [{ file, split: bySlide }], config, threads: 2, timingRepeats: 1 });
    assert.equal(report.splits.source, 'list');
    assert.equal(typeof report.summary.test.srcc, 'number', 'one split: a value, not mean ± std');
    assert.equal(report.summary.transfer, undefined);
    assert.deepEqual(report.results[0]!.sizes, { train: 12, val: 6, test: 6 });
    assert.match(readFileSync(join(dir, 'cv-given', 'report.md'), 'utf8'), /1 given split \(.*given\.csv\)/);
  });

  test('an interrupted split resumes from its checkpoint; a finished one is only scored again', async () => {
    const dataset = await loadEvalDataset({ format: 'focuspath', list: fp.list });
    const split = makeSplits(dataset.items, { splits: 1, seed: 9 })[0]!;
    const outDir = join(dir, 'cv-resume');
    const run = async (epochs: number): Promise<{ report: CvReport; epochs: number[] }> => {
      const seen: number[] = [];
      const report = await runCrossValidation({
        dataset, outDir, splitLists: [{ file: 'given', split }], config: { epochs, batchSize: 8 }, threads: 1, timingRepeats: 1,
        events: { train: () => ({ onEpochEnd: (row) => seen.push(row.epoch) }) },
      });
      return { report, epochs: seen };
    };
    const first = await run(1);
    assert.deepEqual(first.epochs, [1]);
    // as if the run had stopped after training: the result is gone, the checkpoint is there
    rmSync(join(outDir, 'split-01', 'result.json'));
    const more = await run(2);
    assert.deepEqual(more.epochs, [2], 'continues at epoch 2');
    assert.equal(readFileSync(join(outDir, 'split-01', 'log.csv'), 'utf8').trim().split('\n').length, 3, 'header + 2 epochs');
    rmSync(join(outDir, 'split-01', 'result.json'));
    const again = await run(2);
    assert.deepEqual(again.epochs, [], 'training was finished: nothing retrained');
    assert.equal(again.report.results[0]!.reused, false);
    assert.deepEqual(again.report.results[0]!.test, more.report.results[0]!.test);
  });

  test('focuslite cv (CLI): 2 splits end to end; missing images stop it before training', () => {
    const outDir = join(dir, 'cv-cli');
    const bin = join(projectRoot, 'bin', 'focuslite.js');
    const r = spawnSync(process.execPath, [bin, 'cv', '--focuspath', fp.list, '--images', fp.images, '--splits', '2', '--epochs', '1', '--batch', '8', '--threads', '1', '--timing-repeats', '1', '--transfer-tcga', tcga.list, '--transfer-images', tcga.images, '-o', outDir], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\| FocusLiteNN-1 \(FocusPath test\) \| 148 \| .* ± /);
    assert.match(r.stderr, /split 2\/2: train 14, val 5, test 5 images/);
    assert.ok(existsSync(join(outDir, 'report.md')) && existsSync(join(outDir, 'report.json')));
    assert.ok(existsSync(join(outDir, 'split-01', 'model.json')) && existsSync(join(outDir, 'split-02', 'model.json')));

    const bad = spawnSync(process.execPath, [bin, 'cv', '--focuspath', fp.list, '--images', fp.images, '--transfer-tcga', tcga.list, '--transfer-images', join(dir, 'images'), '-o', join(dir, 'cv-bad')], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /tcga\.txt: 8 of 8 listed images are missing or unreadable: In Focus\/Kidney\//);
    assert.equal(existsSync(join(dir, 'cv-bad')), false, 'no output before the check');

    const both = spawnSync(process.execPath, [bin, 'cv', '--focuspath', fp.list, '--splits', '3', '--split-list', join(dir, 'x.csv'), '-o', join(dir, 'cv-both')], { encoding: 'utf8' });
    assert.equal(both.status, 1);
    assert.match(both.stderr, /Expected either --splits or --split-list but received both/);
  });
});
