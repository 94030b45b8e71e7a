/**
 * `focuslite slide` on large images without a pyramid, end to end in a child process whose peak
 * RSS is measured: a 20000x20000 tiled TIFF and a 12000x12000 stripped TIFF, mostly glass with
 * one patch of tissue, are scored with all outputs written and memory well below 1 GB.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../helpers.js';
import { tissuePatch, writeSparseTiff } from '../io/slide/sparse-tiff.js';

const tmp = mkdtempSync(join(tmpdir(), 'focuslite-slide-large-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cli = join(projectRoot, 'bin', 'focuslite.js');
// Peak RSS of the whole process (V8 heap, sharp/libvips buffers, workers), printed at exit.
const RSS_PROBE = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss-kb "+process.resourceUsage().maxRSS+"\\n"))';
const MAX_RSS_MB = 512;

function slide(file: string, out: string): { code: number | null; stderr: string; rssMb: number } {
  const r = spawnSync(process.execPath, ['--import', RSS_PROBE, cli, 'slide', file, '-o', out, '--thumbnail', '512', '--threads', '2'], { encoding: 'utf8' });
  const m = /maxrss-kb (\d+)/.exec(r.stderr);
  assert.ok(m, `no RSS report in: ${r.stderr}`);
  return { code: r.status, stderr: r.stderr, rssMb: Number(m[1]) / 1024 };
}

function checkOutputs(out: string, name: string, width: number, height: number): void {
  for (const ext of ['focus.json', 'tiles.csv', 'geojson', 'heatmap.png', 'mask.png']) assert.ok(existsSync(join(out, `${name}.${ext}`)), `${name}.${ext} written`);
  const focus = JSON.parse(readFileSync(join(out, `${name}.focus.json`), 'utf8')) as { dimensions: { width: number; height: number }; cropsScored: number; levels: unknown[] };
  assert.deepEqual(focus.dimensions, { width, height });
  assert.equal(focus.levels.length, 1);
  // the 1400x1400 patch holds about (1400 - 235) / 128 + 1 = 10 crops a side
  assert.ok(focus.cropsScored >= 64 && focus.cropsScored <= 144, `crops scored ${focus.cropsScored}`);
  const rows = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(rows.length, 2);
  assert.match(rows[1]!, /,ok,/);
}

for (const c of [
  { name: 'tiled-20k', width: 20000, height: 20000, layout: { tile: 512 }, patch: [9000, 11000] as const },
  { name: 'stripped-12k', width: 12000, height: 12000, layout: { rowsPerStrip: 64 }, patch: [5000, 9500] as const },
]) {
  test(`slide scores a ${c.width}x${c.height} ${c.name.startsWith('tiled') ? 'tiled' : 'stripped'} TIFF without a pyramid, peak RSS below ${MAX_RSS_MB} MB`, () => {
    const file = join(tmp, `${c.name}.tif`);
    writeSparseTiff(file, { width: c.width, height: c.height, ...c.layout, background: [240, 240, 238], block: tissuePatch(c.patch[0], c.patch[1], 1400, 1400) });
    const out = join(tmp, `out-${c.name}`);
    const r = slide(file, out);
    console.log(`${c.name}: peak RSS ${r.rssMb.toFixed(0)} MB`);
    // 0 = passed QC, 3 = scored but failed QC (the texture is not a real focus target); 1 = failure
    assert.ok(r.code === 0 || r.code === 3, `exit ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /failed  |Expected a region/);
    checkOutputs(out, c.name, c.width, c.height);
    assert.ok(r.rssMb < MAX_RSS_MB, `peak RSS ${r.rssMb.toFixed(0)} MB`);
  });
}
