/**
 * `focuslite slide` as a scheduler sees it: exit codes (0 all passed, 1 some input failed, 3 all
 * scored but some slide failed QC or got no verdict), and two real concurrent runs on one list
 * that share the work through the per-slide lock files instead of both scoring every slide.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createModel } from '../../src/core/model.js';
import { serializeModel } from '../../src/core/weights.js';
import { makeTissueLikeImage } from '../../src/synth/tissue-image.js';
import { projectRoot } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A z-level model whose every crop scores `score` (zero kernel, bias = score): a known verdict. */
function constantModel(name: string, score: number): string {
  const path = join(dir, name);
  writeFileSync(path, serializeModel(createModel({ kernels: 1, scale: 'z-level', convWeight: new Array(147).fill(0), convBias: [score], provenance: { source: 'test: constant' } })));
  return path;
}
const passing = constantModel('scores-1.json', 1); // below the threshold 3 everywhere: every slide passes
const failing = constantModel('scores-5.json', 5); // above it everywhere: every slide with tissue fails

const slidesDir = join(dir, 'slides');
const slide = (i: number) => join(slidesDir, `s${i}.tif`);
const blank = join(slidesDir, 'blank.tif');
const broken = join(slidesDir, 'broken.svs');
const made = (async () => {
  mkdirSync(slidesDir);
  const tiff = { tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 90 } as const;
  for (let i = 1; i <= 4; i++) {
    const t = makeTissueLikeImage(600, 500, i);
    const tissue = await sharp(t.data, { raw: { width: t.width, height: t.height, channels: 3 } }).png().toBuffer();
    await sharp({ create: { width: 1000, height: 800, channels: 3, background: { r: 244, g: 243, b: 246 } } })
      .composite([{ input: tissue, left: 200, top: 150 }]).tiff(tiff).toFile(slide(i));
  }
  await sharp({ create: { width: 1000, height: 800, channels: 3, background: { r: 255, g: 255, b: 255 } } }).tiff(tiff).toFile(blank);
  writeFileSync(broken, Buffer.concat([Buffer.from('II*\0'), Buffer.alloc(40, 0x5a)]));
})();

const CLI = join(projectRoot, 'bin', 'focuslite.js');
const ENV = { ...process.env, CI: 'true' };
const common = ['-t', '1', '--thumbnail', '256'];

function run(...args: string[]): { code: number | null; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, 'slide', ...args, ...common], { cwd: projectRoot, encoding: 'utf8', env: ENV });
  return { code: res.status, stderr: res.stderr };
}

test('exit codes: 0 all passed, 3 some slide failed QC or got no verdict, 1 some input failed (1 wins over 3)', async () => {
  await made;
  const out = (n: string) => join(dir, `exit-${n}`);
  const ok = run(slide(1), slide(2), '-o', out('0'), '-w', passing);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /2 slide\(s\) scored, .* 0 failed, 0 fail QC, 0 without a verdict;/);

  const qc = run(slide(1), slide(2), '-o', out('3'), '-w', failing);
  assert.equal(qc.code, 3, qc.stderr);
  assert.match(qc.stderr, /, 0 failed, 2 fail QC, /);
  // Resumed: the stored verdicts count the same way.
  assert.equal(run(slide(1), slide(2), '-o', out('3'), '-w', failing).code, 3);

  const noVerdict = run(slide(1), blank, '-o', out('blank'), '-w', passing);
  assert.equal(noVerdict.code, 3, noVerdict.stderr);
  assert.match(noVerdict.stderr, /, 0 fail QC, 1 without a verdict \(1 no tissue found\);/);

  const input = run(slide(1), broken, '-o', out('1'), '-w', failing);
  assert.equal(input.code, 1, input.stderr);
  assert.match(input.stderr, /, 1 failed, 1 fail QC, /);
  // An input that matched nothing is a failed input too.
  const missing = run(slide(1), join(dir, 'no-such.svs'), '-o', out('0'), '-w', passing);
  assert.equal(missing.code, 1, missing.stderr);
});

function waitFor(child: ChildProcess, pred: (text: string) => boolean, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += String(d);
      if (pred(text)) {
        child.stderr!.off('data', onData);
        resolve(text);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => (pred(text) ? resolve(text) : reject(new Error(`exited (${code}) before ${what}:\n${text}`))));
  });
}

function collect(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

/** The slide lock (not summary.csv's) that `pid` holds in `out` now, if any. */
function heldLock(out: string, pid: number): { file: string; owner: string } | null {
  let files: string[] = [];
  try {
    files = readdirSync(out);
  } catch {
    return null;
  }
  for (const f of files) {
    if (!f.endsWith('.lock') || f === 'summary.csv.lock') continue;
    try {
      const info = JSON.parse(readFileSync(join(out, f), 'utf8'));
      if (info.pid === pid) return { file: f, owner: info.owner };
    } catch {
      // released meanwhile
    }
  }
  return null;
}

test('two concurrent runs on one list: each slide is scored once; the second waits for the one the first holds', { timeout: 300_000 }, async () => {
  await made;
  const out = join(dir, 'concurrent');
  const list = [1, 2, 3, 4].map(slide);
  const args = [CLI, 'slide', ...list, '-o', out, '-w', passing, ...common];
  const a = spawn(process.execPath, args, { cwd: projectRoot, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  const aDone = collect(a);
  let stopped = false;
  try {
    // Freeze the first run while it holds a slide's lock (checked again after stopping it).
    let held: { file: string; owner: string } | null = null;
    while (held === null) {
      await new Promise((r) => setTimeout(r, 5));
      const h = heldLock(out, a.pid!);
      if (h === null) continue;
      process.kill(a.pid!, 'SIGSTOP');
      stopped = true;
      held = heldLock(out, a.pid!);
      if (held === null) {
        process.kill(a.pid!, 'SIGCONT');
        stopped = false;
      }
    }
    // The second run scores the other slides and waits for the held one: a live holder's lock.
    const b = spawn(process.execPath, args, { cwd: projectRoot, env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
    const bDone = collect(b);
    await waitFor(b, (t) => t.includes(`waiting ${held!.owner}: being scored by another run (pid ${a.pid} on `), 'waiting for the held slide');
    process.kill(a.pid!, 'SIGCONT');
    stopped = false;
    const [ra, rb] = await Promise.all([aDone, bDone]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const scoredBy = (text: string) => list.filter((s) => text.split('\n').some((l) => l.startsWith(`scored  ${s}: `)));
    const byA = scoredBy(ra.stderr), byB = scoredBy(rb.stderr);
    assert.deepEqual([...byA, ...byB].sort(), list, `each slide scored exactly once (A: ${byA}, B: ${byB})`);
    assert.ok(byA.includes(held.owner), 'the held slide was finished by its holder');
    assert.ok(!byB.includes(held.owner));
    // Each run reports every slide of its list, the others' as skipped (outputs up to date).
    for (const r of [ra, rb]) {
      assert.match(r.stderr, /focuslite: \d slide\(s\) scored, \d skipped /);
      const n = /focuslite: (\d) slide\(s\) scored, (\d) skipped/.exec(r.stderr)!;
      assert.equal(Number(n[1]) + Number(n[2]), 4);
    }
    const summary = readFileSync(join(out, 'summary.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(summary.length, 5);
    assert.deepEqual(summary.slice(1).map((l) => l.split(',').slice(0, 3)), list.map((s, i) => [s, `s${i + 1}`, 'ok']));
    assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp')), [], 'no lock or temporary file left');
  } finally {
    if (stopped) process.kill(a.pid!, 'SIGCONT');
    a.kill();
  }
});
