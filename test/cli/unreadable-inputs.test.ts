/**
 * One bad entry never aborts a batch: `score` and `slide` on a folder holding an unreadable
 * subfolder, an unreadable image and a symbolic link to another folder report each problem (path
 * and reason), process the rest, and exit 1 at the end. Run without root's privileges, so the
 * permission errors are real (see test/unprivileged.ts).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { projectRoot, rng } from '../helpers.js';
import { unprivileged, unprivilegedSkip } from '../unprivileged.js';

const skip = unprivilegedSkip();
const root = mkdtempSync(join(tmpdir(), 'focuslite-unreadable-'));
after(async () => {
  await made.catch(() => undefined);
  if (existsSync(join(root, 'in', 'locked'))) chmodSync(join(root, 'in', 'locked'), 0o755);
  rmSync(root, { recursive: true, force: true });
});

/** A tissue-like texture (pink/purple H&E colours) so that slide finds tissue in it. */
async function tile(path: string, seed: number): Promise<void> {
  const r = rng(seed);
  const w = 600, h = 600;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    const x = i % w, y = Math.floor(i / w);
    const v = 0.5 + 0.5 * Math.sin(x / 5 + seed) * Math.cos(y / 7);
    px[i * 3] = 150 + Math.round(60 * v + r() * 20);
    px[i * 3 + 1] = 60 + Math.round(70 * v + r() * 20);
    px[i * 3 + 2] = 140 + Math.round(50 * v + r() * 20);
  }
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path);
}

const input = join(root, 'in');
// Built only when the cases can run, and awaited before the folder is removed, so a skipped
// file leaves no write in flight.
const made = skip ? Promise.resolve() : (async () => {
  mkdirSync(join(input, 'locked'), { recursive: true });
  mkdirSync(join(root, 'elsewhere'));
  await tile(join(input, 'a.png'), 1);
  await tile(join(input, 'secret.png'), 2);
  await tile(join(input, 'locked', 'b.png'), 3);
  await tile(join(root, 'elsewhere', 'c.png'), 4);
  symlinkSync(join(root, 'elsewhere'), join(input, 'linked'));
  chmodSync(root, 0o755);
  chmodSync(input, 0o755);
  chmodSync(join(root, 'elsewhere'), 0o755);
  chmodSync(join(input, 'secret.png'), 0o000);
  chmodSync(join(input, 'locked'), 0o000);
  mkdirSync(join(root, 'out'), { mode: 0o777 });
  chmodSync(join(root, 'out'), 0o777);
})();

function runUnprivileged(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const { file, args: argv } = unprivileged([process.execPath, join(projectRoot, 'bin', 'focuslite.js'), ...args]);
  const res = spawnSync(file, argv, { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: root } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

test('score: the unreadable subfolder and file are reported, the rest (symlinked folder included) is scored, exit 1', { skip }, async () => {
  await made;
  const res = runUnprivileged('score', input, '-f', 'jsonl', '-t', '1');
  assert.equal(res.code, 1, res.stderr);
  const scored = res.stdout.trimEnd().split('\n').map((l) => (JSON.parse(l) as { file: string }).file);
  assert.deepEqual(scored, [join(input, 'a.png'), join(input, 'linked', 'c.png')]);
  const lines = res.stderr.trimEnd().split('\n');
  assert.ok(lines.includes(`focuslite: ${join(input, 'locked')}: cannot read folder (permission denied)`), res.stderr);
  assert.ok(lines.includes(`focuslite: ${join(input, 'secret.png')}: permission denied`), res.stderr);
  assert.equal(lines[lines.length - 1], 'focuslite: 2 input(s) failed, 2 scored');
  assert.doesNotMatch(res.stderr, /unsupported image format|\n\s+at /);
});

test('slide: the same folder is processed the same way, and exits 1', { skip }, async () => {
  await made;
  const res = runUnprivileged('slide', input, '-o', join(root, 'out'), '-t', '1');
  assert.equal(res.code, 1, res.stderr);
  assert.match(res.stderr, new RegExp(`${join(input, 'locked').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read folder \\(permission denied\\)`));
  assert.match(res.stderr, /secret\.png: .*permission denied/);
  assert.doesNotMatch(res.stderr, /unsupported image format|\n\s+at /);
  // The readable slides, the symlinked folder's included, got their outputs.
  assert.ok(existsSync(join(root, 'out', 'a.focus.json')), res.stderr);
  assert.ok(existsSync(join(root, 'out', 'c.focus.json')), res.stderr);
});
