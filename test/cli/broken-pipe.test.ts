/**
 * Closing stdout early (`focuslite score ... | head -4`) ends the run quietly with exit 0, as cat
 * and grep do: tested with a real pipe whose reading end this process closes, after far less than
 * the command writes (more than a pipe buffer is left, so the child must hit EPIPE).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { handleBrokenPipes } from '../../src/cli/broken-pipe.js';
import { runCliCapped, runCliClosingStdout } from '../capped-cli.js';
import { rng } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-broken-pipe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const image = join(dir, 'patch.png');
const made = (() => {
  const r = rng(5);
  const w = 1200, h = 1200;
  const px = Buffer.alloc(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(100 + 80 * Math.sin(i / 37) + r() * 40);
  return sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(image);
})();

function assertQuiet(res: { code: number | null; signal: string | null; stderr: string }, what: string): void {
  assert.equal(res.signal, null, `${what}: killed by ${res.signal}`);
  assert.equal(res.code, 0, `${what}: exit ${res.code}; stderr: ${res.stderr}`);
  assert.doesNotMatch(res.stderr, /EPIPE|Error|\n\s+at /, `${what}: no stack trace: ${res.stderr}`);
}

test('score -f csv --grid | head: exit 0, no stack trace, the first lines are the real output', async () => {
  await made;
  // Stride 16: 61 x 61 = 3,721 crop lines, about 250 KB, of which 200 bytes are read.
  const args = ['score', image, '-f', 'csv', '--grid', '--stride', '16', '-t', '1'];
  const full = runCliCapped(args);
  assert.equal(full.code, 0, full.stderr);
  assert.ok(full.stdout.length > 200_000, `${full.stdout.length} bytes of output`);
  const res = await runCliClosingStdout(args, 200);
  assertQuiet(res, 'score csv');
  assert.equal(res.kept, full.stdout.slice(0, 200));
  assert.ok(res.maxRssMb !== null, 'the process exited normally (it reported its RSS)');
});

test('every format and info/--help stop quietly too', async () => {
  await made;
  for (const format of ['table', 'jsonl', 'json']) {
    const res = await runCliClosingStdout(['score', image, '-f', format, '--grid', '--stride', '16', '-t', '1'], 10);
    assertQuiet(res, `score ${format}`);
  }
  // Commands whose output fits in the pipe buffer never see EPIPE; closing early is still fine.
  assertQuiet(await runCliClosingStdout(['info', join('models', 'focuslite-1k.json')], 5), 'info');
  assertQuiet(await runCliClosingStdout(['--help'], 5), '--help');
});

test('handleBrokenPipes: EPIPE on stdout exits 0; other errors say so in one line and exit 1; stderr EPIPE is ignored', () => {
  const codes: number[] = [];
  const out = new PassThrough();
  const err = new PassThrough();
  const said: string[] = [];
  err.on('data', (c: Buffer) => said.push(c.toString()));
  handleBrokenPipes(out, err, (c) => codes.push(c));
  handleBrokenPipes(out, err, (c) => codes.push(c * 100)); // installed once only
  out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  assert.deepEqual(codes, [0]);
  out.emit('error', Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
  assert.deepEqual(codes, [0, 1]);
  assert.deepEqual(said, ['focuslite: cannot write to standard output (no space left on device)\n']);
  err.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  assert.deepEqual(codes, [0, 1]);
});
