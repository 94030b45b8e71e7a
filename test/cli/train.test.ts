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
  assert.ok(readFileSync(join(out, 'log.csv'), 'utf8').startsWith('epoch,lr,train_loss'));
  const r = run('train', '--list', list, '--images', images, '--resume', join(out, 'checkpoint.json'), '--epochs', String(cp.epochsDone + 1), '--threads', '1', '--cache-mem', '0', '-o', out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`resuming after epoch ${cp.epochsDone}`));
  assert.match(r.stderr, /on disk \(reused\)/);
  assert.equal(readCheckpoint(join(out, 'checkpoint.json')).epochsDone, cp.epochsDone + 1);
  assert.equal(readFileSync(join(out, 'log.csv'), 'utf8').trim().split('\n').length, cp.epochsDone + 2);
  // a conflicting setting is refused
  const bad = run('train', '--list', list, '--images', images, '--resume', join(out, 'checkpoint.json'), '--kernels', '2', '-o', out);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot resume with different settings: kernels \(checkpoint 1, requested 2\)/);
});
