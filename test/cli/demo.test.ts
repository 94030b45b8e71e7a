/**
 * `focuslite demo -o <dir>`: with the built-in default model (the z-level one) when it exists, else
 * with the official 1-kernel checkpoint from ../shared (read in place, never converted into the repo).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { defaultModelPath } from '../../src/io/model-source.js';
import { projectRoot, sharedOnly, sharedPath } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-demo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const builtIn = existsSync(defaultModelPath());
const weightsArgs = builtIn ? [] : ['--weights', sharedPath('reference', 'official-checkpoints', 'focuslitenn-1kernel.pt')];
const options = builtIn ? {} : sharedOnly();

test(`demo ${builtIn ? 'with the built-in model' : 'with the official 1-kernel checkpoint'}: grid, 4 files, Spearman > 0.8`, options, async () => {
  const out = join(dir, 'demo out');
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), 'demo', '-o', out, ...weightsArgs], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const lines = res.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^focuslite demo: 2048x1024 tissue-like image, defocus level 0 \(left\) to 8 \(right\)/);
  assert.match(lines[1]!, /^per-crop scores, 7 rows x 15 cols of 235px crops at stride 128/);
  const levelRow = lines[2]!.trim().split(/\s+/);
  assert.equal(levelRow[0], 'level');
  assert.equal(levelRow.length, 1 + 15);
  const gridRows = lines.filter((l) => /^ {2}y=\d+/.test(l));
  assert.deepEqual(gridRows.map((l) => Number(/y=(\d+)/.exec(l)![1])), [0, 128, 256, 384, 512, 640, 768]);
  for (const row of gridRows) {
    const values = row.replace(/^ {2}y=\d+/, '').trim().split(/\s+/).map(Number);
    assert.equal(values.length, 15);
    assert.ok(values.every(Number.isFinite));
  }
  const srccLine = lines.find((l) => l.startsWith('Spearman correlation of crop scores with the known defocus level: '));
  assert.ok(srccLine, res.stdout);
  const srcc = Number(srccLine.split(': ')[1]);
  assert.ok(srcc > 0.8, `Spearman ${srcc}`);

  // The 4 files.
  const image = await sharp(join(out, 'demo-image.png')).metadata();
  assert.deepEqual([image.format, image.width, image.height], ['png', 2048, 1024]);
  const heat = await sharp(join(out, 'heatmap.png')).metadata();
  assert.equal(heat.format, 'png');
  assert.ok(heat.width! >= 2048 && heat.height! >= 1024);
  const csv = readFileSync(join(out, 'crops.csv'), 'utf8').trimEnd().split('\n');
  assert.equal(csv[0], 'row,col,x,y,known_level,score');
  assert.equal(csv.length, 1 + 105);
  const json = JSON.parse(readFileSync(join(out, 'scores.json'), 'utf8'));
  assert.ok(Math.abs(json.srccWithKnownLevel - srcc) < 5e-4);
  assert.deepEqual([json.grid.rows, json.grid.cols, json.grid.scores.length, json.columnMeans.length], [7, 15, 7, 15]);
  // The printed grid is the stored grid (2 decimals).
  const firstPrinted = gridRows[0]!.replace(/^ {2}y=\d+/, '').trim().split(/\s+/).map(Number);
  firstPrinted.forEach((v, c) => assert.ok(Math.abs(v - json.grid.scores[0][c]) <= 0.005 + 1e-9));
  // Crop scores in the CSV match the JSON grid, and the image score is their mean.
  const scores = csv.slice(1).map((l) => Number(l.split(',')[5]));
  assert.ok(Math.abs(scores[16]! - json.grid.scores[1][1]) < 1e-5);
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  if (/\(z-level scale\)/.test(lines[0]!)) {
    // z-level: crop scores are clamped at 0 and the image score is the clamped mean of the raw
    // outputs, so it is at most the mean of the reported crops (equal when none was clamped).
    assert.ok(json.score <= mean + 1e-5 && json.score >= 0, `${mean} vs ${json.score}`);
    if (scores.every((v) => v > 0)) assert.ok(Math.abs(mean - json.score) < 1e-5);
  } else {
    assert.ok(Math.abs(mean - json.score) < 1e-5, `${mean} vs ${json.score}`);
  }
  // Blur rises to the right: the rightmost column mean is above the leftmost.
  assert.ok(json.columnMeans[14] > json.columnMeans[0]);
});
