import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseWeights } from '../../src/core/weights.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { projectRoot } from '../helpers.js';
import { mountSmallDisk } from '../io/tmpfs.js';
import { writeDefocusSet } from '../train/synthetic.js';

let dir: string;
let list: string;
let images: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'focuslite-cli-train-'));
  images = join(dir, 'images');
  // FocusPath layout: listed as Slide.._Position...tif, stored as .png; target |z|
  const items = await writeDefocusSet(join(dir, 'raw'), { textures: 4, levels: 5, size: 240, seed: 3 });
  mkdirSync(images);
  const rows: string[] = [];
  items.forEach((it, i) => {
    const slide = Number(it.group.slice(3)) + 1;
    const name = `Slide${String(slide).padStart(2, '0')}_Strip00_Slice${String(it.target).padStart(2, '0')}_Position${String(i).padStart(2, '0')}`;
    renameSync(it.path, join(images, `${name}.png`));
    const z = i % 2 === 0 ? it.target : -it.target;
    rows.push(`${name}.tif,${slide},0,${it.target},${i},50.0,${z}`);
  });
  list = join(dir, 'list.txt');
  writeFileSync(list, rows.join('\n') + '\n');
});

after(() => rmSync(dir, { recursive: true, force: true }));

const cli = join(projectRoot, 'bin', 'focuslite.js');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('train writes model.json, log.csv and checkpoint.json with provenance', () => {
  const out = join(dir, 'out');
  const r = run('train', '--list', list, '--images', images, '--epochs', '3', '--batch', '8', '--val-fraction', '0.25', '--threads', '2', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), join(out, 'model.json'));
  assert.match(r.stderr, /15 training and 5 validation images/);
  assert.match(r.stderr, /epoch 3\/3: lr 0\.0100, loss -?\d\.\d{4}, val SRCC/);
  const model = parseWeights(readFileSync(join(out, 'model.json'), 'utf8'));
  assert.equal(model.kernels, 1);
  const p = model.provenance as unknown as Record<string, unknown> & { data: { list: { file: string; sha256: string } } };
  assert.equal(p.source, 'trained by focuslite');
  assert.equal(p.seed, 1);
  assert.equal(p.loss, 'plcc');
  assert.match(String(p.command), /^focuslite train --list .*list\.txt .* -o /);
  assert.equal(p.data.list.file, basename(list));
  assert.equal(p.data.list.sha256, createHash('sha256').update(readFileSync(list)).digest('hex'));
  assert.equal(readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n').length, 4);
  assert.equal(readCheckpoint(join(out, 'checkpoint.json')).epochsDone, 3);
  assert.deepEqual(readdirSync(out).sort(), ['checkpoint.json', 'log.csv', 'model.json']);
  assert.deepEqual(p.training, { epochsCompleted: 3, epochsPlanned: 3, finished: true });
  const info = run('info', join(out, 'model.json'));
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /^training: +3 of 3 epochs, finished$/m);
});

test('train --init starts from the given model and names it (file and SHA-256); another architecture is one line', () => {
  const base = join(dir, 'out', 'model.json'); // written by the test above
  const out = join(dir, 'init');
  const r = run('train', '--list', list, '--images', images, '--epochs', '1', '--batch', '8', '--lr', '1e-9', '--threads', '1', '--init', base, '-o', out);
  assert.equal(r.code, 0, r.stderr);
  const start = parseWeights(readFileSync(base, 'utf8'));
  const model = parseWeights(readFileSync(join(out, 'model.json'), 'utf8'));
  assert.ok(Array.from(model.convWeight).every((v, i) => Math.abs(v - start.convWeight[i]!) < 1e-6), 'the run starts from the --init weights');
  assert.deepEqual((model.provenance as Record<string, unknown>).initialisedFrom, { file: base, sha256: createHash('sha256').update(readFileSync(base)).digest('hex') });
  const bad = run('train', '--list', list, '--images', images, '--epochs', '1', '--kernels', '2', '--threads', '1', '--init', base, '-o', join(dir, 'init-bad'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /model\.json: cannot start from a 1-kernel min-pooling model for a 2-kernel min-pooling run/);
});

test('train into a folder that already holds a run refuses (one line), --force replaces it', () => {
  const out = join(dir, 'twice');
  const args = ['train', '--list', list, '--images', images, '--batch', '8', '--threads', '1', '-o', out];
  assert.equal(run(...args, '--epochs', '2').code, 0);
  const before = readFileSync(join(out, 'model.json'), 'utf8');
  const again = run(...args, '--epochs', '1');
  assert.equal(again.code, 1);
  assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  assert.equal(again.stderr.trim(), `focuslite: ${out}: already holds a training run (model.json, checkpoint.json, log.csv); use --resume ${join(out, 'checkpoint.json')} to continue it or --force to replace it, or another --output folder`);
  assert.equal(readFileSync(join(out, 'model.json'), 'utf8'), before, 'the refused run touched nothing');
  // a model.json alone (no checkpoint) is a run too
  rmSync(join(out, 'checkpoint.json'));
  assert.match(run(...args, '--epochs', '1').stderr, /already holds a training run \(model\.json, log\.csv\); use --force to replace it/);
  const forced = run(...args, '--epochs', '1', '--force');
  assert.equal(forced.code, 0, forced.stderr);
  const p = parseWeights(readFileSync(join(out, 'model.json'), 'utf8')).provenance as unknown as { training: unknown; epochs: number };
  assert.deepEqual(p.training, { epochsCompleted: 1, epochsPlanned: 1, finished: true });
  assert.equal(readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n').length, 2, 'the old log is gone');
  assert.equal(readCheckpoint(join(out, 'checkpoint.json')).epochsDone, 1);
});

test('an interrupted run (SIGINT) leaves a model.json marked unfinished, says so, and info shows it', async () => {
  const out = join(dir, 'interrupted');
  const child = spawn(process.execPath, [cli, 'train', '--list', list, '--images', images, '--epochs', '100000', '--batch', '4', '--threads', '1', '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // wait (without a time limit of our own) for the first checkpoint
  while (!existsSync(join(out, 'checkpoint.json'))) {
    if (child.exitCode !== null) assert.fail(`training exited early with code ${child.exitCode}: ${stderr}`);
    await sleep(20);
  }
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  const m = /focuslite train: interrupted \(SIGINT\) after (\d+) of 100000 epochs; (\S+) is marked unfinished; continue with --resume (\S+) \(epoch (\d+)\)/.exec(stderr);
  assert.ok(m, stderr);
  assert.equal(m[2], join(out, 'model.json'));
  assert.equal(m[3], join(out, 'checkpoint.json'));
  const done = Number(m[1]);
  assert.ok(done >= 1);
  const p = parseWeights(readFileSync(join(out, 'model.json'), 'utf8')).provenance as unknown as { training: unknown };
  assert.deepEqual(p.training, { epochsCompleted: done, epochsPlanned: 100000, finished: false });
  assert.equal(readCheckpoint(join(out, 'checkpoint.json')).epochsDone, Number(m[4]));
  const info = run('info', join(out, 'model.json'));
  assert.match(info.stdout, new RegExp(`^training: +${done} of 100000 epochs, NOT FINISHED \\(the run was interrupted or failed; this is its best model so far\\)$`, 'm'));
  // the folder now holds a run: a plain retrain is refused, --resume is not
  assert.match(run('train', '--list', list, '--images', images, '--epochs', '2', '-o', out).stderr, /already holds a training run/);
});

test('train rejects bad options with one clear line', () => {
  const bad = run('train', '--list', list, '--epochs', '0', '-o', join(dir, 'x'));
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Expected integer between 1 and 100000 for epochs but received 0/);
  const none = run('train', '-o', join(dir, 'x'));
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Expected exactly one of --list or --csv/);
  assert.match(run('train', '--list', list, '--loss', 'l2', '-o', join(dir, 'x')).stderr, /Expected one of plcc, mse, mae for loss but received l2/);
});

test('a killed run leaves complete files, and --resume finishes it', async () => {
  const out = join(dir, 'killed');
  const child = spawn(process.execPath, [cli, 'train', '--list', list, '--images', images, '--epochs', '100000', '--batch', '4', '--threads', '1', '--keep-cache', '--cache-mem', '0', '-o', out], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // wait (without a time limit of our own) until at least two checkpoints have been written
  while (!existsSync(join(out, 'checkpoint.json')) || readCheckpoint(join(out, 'checkpoint.json')).epochsDone < 2) {
    if (child.exitCode !== null) assert.fail(`training exited early with code ${child.exitCode}`);
    await sleep(20);
  }
  child.kill('SIGKILL');
  await exited;
  // whatever moment the kill hit, the named files are complete (temporaries may remain)
  const model = parseWeights(readFileSync(join(out, 'model.json'), 'utf8'));
  assert.equal(model.provenance.source, 'trained by focuslite');
  const cp = readCheckpoint(join(out, 'checkpoint.json'));
  // a hard kill gives no chance to say anything: model.json itself says the run did not finish
  const killed = (model.provenance as unknown as { training: { epochsCompleted: number; finished: boolean } }).training;
  assert.equal(killed.finished, false);
  assert.ok(killed.epochsCompleted >= cp.epochsDone);
  assert.ok(readFileSync(join(out, 'log.csv'), 'utf8').startsWith('epoch,lr,train_loss'));
  const r = run('train', '--list', list, '--images', images, '--resume', join(out, 'checkpoint.json'), '--epochs', String(cp.epochsDone + 1), '--threads', '1', '--cache-mem', '0', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`resuming after epoch ${cp.epochsDone}`));
  assert.match(r.stderr, /on disk \(reused\)/);
  assert.equal(readCheckpoint(join(out, 'checkpoint.json')).epochsDone, cp.epochsDone + 1);
  assert.equal(readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n').length, cp.epochsDone + 2);
  const resumed = parseWeights(readFileSync(join(out, 'model.json'), 'utf8')).provenance as unknown as { training: unknown };
  assert.deepEqual(resumed.training, { epochsCompleted: cp.epochsDone + 1, epochsPlanned: cp.epochsDone + 1, finished: true });
  // a conflicting setting is refused
  const bad = run('train', '--list', list, '--images', images, '--resume', join(out, 'checkpoint.json'), '--kernels', '2', '-o', out);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot resume with different settings: kernels \(checkpoint 1, requested 2\)/);
});

test('a full disk during training (real ENOSPC) is one line naming the file: pixel cache, model.json', async (t) => {
  const disk = mountSmallDisk(512);
  if (typeof disk === 'string') return t.skip(disk);
  try {
    // the disk pixel cache (20 images of 240x240: 3.5 MB) does not fit in 512 KiB
    const cache = run('train', '--list', list, '--images', images, '--epochs', '1', '--batch', '8', '--threads', '1', '--cache-mem', '0', '-o', join(disk.dir, 'cache-run'));
    assert.equal(cache.code, 1, cache.stderr);
    const errors = (stderr: string): string[] => stderr.trim().split('\n').filter((l) => l.startsWith('focuslite: '));
    assert.equal(errors(cache.stderr).length, 1, cache.stderr);
    assert.match(errors(cache.stderr)[0]!, new RegExp(`^focuslite: ${join(disk.dir, 'cache-run', 'pixel-cache', 'pixels.bin')}: cannot write the pixel cache \\(no space left on device \\(ENOSPC\\)\\); the disk pixel cache needs 2\\.5 MB \\(choose its folder with --cache-dir, or keep it in memory with a larger --cache-mem\\)$`));
    assert.ok(!existsSync(join(disk.dir, 'cache-run', 'pixel-cache', 'pixels.bin')), 'the incomplete cache is removed');
    // pixels in memory, disk full: the first file written after epoch 1 is model.json
    rmSync(join(disk.dir, 'cache-run'), { recursive: true, force: true });
    disk.fill();
    const out = join(disk.dir, 'model-run');
    const model = run('train', '--list', list, '--images', images, '--epochs', '1', '--batch', '8', '--threads', '1', '-o', out);
    assert.equal(model.code, 1, model.stderr);
    assert.deepEqual(errors(model.stderr), [`focuslite: ${join(out, 'model.json')}: cannot write (no space left on device (ENOSPC))`]);
    assert.deepEqual(readdirSync(out), [], 'no partial or temporary file is left');
  } finally {
    disk.unmount();
  }
});
