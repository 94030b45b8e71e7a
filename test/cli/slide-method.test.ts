/**
 * `focuslite slide --method <name>`: the FocusMeasure seam through the batch. A registered measure
 * scores every tissue crop as FocusLiteNN would, its scores equal `score --method --grid` on the
 * same crops, outputs name it, a relative scale needs --threshold, and switching between a measure
 * and the model rescores.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-slide-method-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), ...args], { cwd: dir, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const tile = join(dir, 'tissue.png');
const made = (async () => {
  const t = makeTissueLikeImage(620, 500, 7);
  await sharp(Buffer.from(t.data), { raw: { width: t.width, height: t.height, channels: 3 } }).png().toFile(tile);
})();

test('a relative-scale measure without --threshold is one line saying so, exit 1', async () => {
  await made;
  const r = run('slide', tile, '-o', join(dir, 'no-threshold'), '--method', 'laplacian-variance', '-t', '1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^focuslite: laplacian-variance: Variance of Laplacian has a relative scale \(no absolute blur level\); pass --threshold <score>/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const u = run('slide', tile, '-o', join(dir, 'unknown'), '--method', 'no-such-measure', '-t', '1');
  assert.equal(u.code, 1);
  assert.match(u.stderr, /Unknown method "no-such-measure" for --method; known: focuslitenn, /);
});

test('slide --method scores the tissue crops with the measure: same crop scores as score --method --grid, outputs name it, model switch rescores', async () => {
  await made;
  const out = join(dir, 'out');
  const r = run('slide', tile, '-o', out, '--method', 'laplacian-variance', '--threshold', '-0.01', '-t', '1');
  assert.ok(r.code === 0 || r.code === 3, r.stderr);
  const report = JSON.parse(readFileSync(join(out, 'tissue.focus.json'), 'utf8'));
  assert.deepEqual([report.model.method, report.model.kind, report.model.scale, report.model.parameters], ['laplacian-variance', 'knowledge-based', 'relative', 0]);
  assert.equal(report.settings.score.model, 'measure:laplacian-variance');
  assert.ok(report.cropsScored > 0);
  assert.ok(existsSync(join(out, 'tissue.heatmap.png')) && existsSync(join(out, 'tissue.mask.png')));
  const geo = JSON.parse(readFileSync(join(out, 'tissue.geojson'), 'utf8'));
  assert.equal(geo.focuslite.model, 'laplacian-variance');
  // The same crops scored by `score`: slide's tiles.csv holds the measure's crop scores (6 decimals).
  const [head, ...rows] = readFileSync(join(out, 'tissue.tiles.csv'), 'utf8').trimEnd().split('\n');
  const col = (n: string): number => head!.split(',').indexOf(n);
  const bySlide = new Map(rows.map((l) => l.split(',')).map((f) => [`${f[col('x')]},${f[col('y')]}`, Number(f[col('score')])]));
  const s = run('score', tile, '--method', 'laplacian-variance', '--grid', '-f', 'csv', '-t', '1');
  assert.equal(s.code, 0, s.stderr);
  let compared = 0;
  for (const line of s.stdout.trimEnd().split('\n').slice(1)) {
    const f = line.split(',');
    const want = bySlide.get(`${f[3]},${f[4]}`);
    if (want === undefined) continue;
    assert.ok(Math.abs(Number(f[5]) - want) <= 1e-6, `crop ${f[3]},${f[4]}: score ${f[5]}, slide ${want}`);
    compared++;
  }
  assert.equal(compared, report.cropsScored, 'every scored crop compared');
  // The same settings: up to date. The model instead of the measure: scored again, and it says so.
  const again = run('slide', tile, '-o', out, '--method', 'laplacian-variance', '--threshold', '-0.01', '-t', '1');
  assert.match(again.stderr, /skipped|up to date/);
  assert.doesNotMatch(again.stderr, /^scored /m);
  const model = run('slide', tile, '-o', out, '-t', '1');
  assert.match(model.stderr, /^scored /m, model.stderr);
  const byModel = JSON.parse(readFileSync(join(out, 'tissue.focus.json'), 'utf8'));
  assert.equal(byModel.model.scale, 'z-level');
  assert.notEqual(byModel.settings.score.model, 'measure:laplacian-variance');
});

test('--modality fluorescence and --method are not combined', async () => {
  await made;
  const r = run('slide', tile, '-o', join(dir, 'fl'), '--method', 'brenner', '--modality', 'fluorescence', '--threshold', '1', '-t', '1');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--modality fluorescence scores with hvs-maxpol-1 .* cannot be combined with --method/);
});
