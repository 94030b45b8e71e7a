import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceKernel } from '../../src/core/kernels/reference.js';
import { scoreRgbImage } from '../../src/core/score.js';
import { parseWeights } from '../../src/core/weights.js';
import { spearman } from '../../src/core/stats.js';
import { decodeImage } from '../../src/io/decode.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { initParams, paramLayout, paramsToModel } from '../../src/train/model-grad.js';
import { Rng } from '../../src/core/random.js';
import { train, type TrainConfig } from '../../src/train/trainer.js';
import { writeDefocusSet, type SyntheticItem } from './synthetic.js';

let root: string;
let items: SyntheticItem[];
let trainSet: SyntheticItem[];
let valSet: SyntheticItem[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'focuslite-train-'));
  // 7 textures x 6 blur levels of 256x256; textures 0-4 train, 5-6 are held out
  items = await writeDefocusSet(join(root, 'data'), { textures: 7, levels: 6, size: 256 });
  trainSet = items.filter((i) => Number(i.group.slice(3)) < 5);
  valSet = items.filter((i) => Number(i.group.slice(3)) >= 5);
});

after(() => rmSync(root, { recursive: true, force: true }));

const small: Partial<TrainConfig> = { epochs: 4, batchSize: 10, seed: 3 };

test('end to end: a short run learns to rank blur on held-out textures (SRCC >= 0.8)', async () => {
  const out = join(root, 'e2e');
  const t0 = performance.now();
  const res = await train({ train: trainSet, val: valSet, outDir: out, config: { epochs: 25, batchSize: 10, seed: 1 }, threads: 2, command: 'test' });
  console.log(`train: ${((performance.now() - t0) / 1000).toFixed(2)} s, kernel ${res.kernel}`);
  const model = parseWeights(readFileSync(res.modelPath, 'utf8'));
  assert.equal(model.provenance.source, 'trained by focuslite');
  assert.equal(model.scale, 'relative');
  // independent check: dense-grid scores of the saved model on the held-out images
  const scores: number[] = [];
  for (const it of valSet) scores.push(scoreRgbImage(model, referenceKernel, await decodeImage(it.path)).score);
  const srcc = spearman(scores, valSet.map((i) => i.target));
  // the same seed's untrained model, for contrast: the data must not be rankable without training
  const layout = paramLayout({ kernels: 1, pooling: 'min' });
  const rng = new Rng(1);
  const init = paramsToModel(layout, initParams(layout, () => rng.uniform()), 'relative', { source: 'init' });
  const initScores: number[] = [];
  for (const it of valSet) initScores.push(scoreRgbImage(init, referenceKernel, await decodeImage(it.path)).score);
  const initSrcc = spearman(initScores, valSet.map((i) => i.target));
  console.log(`held-out SRCC ${srcc.toFixed(3)} (untrained ${initSrcc.toFixed(3)}), best epoch ${res.best.epoch} val SRCC ${res.best.srcc}`);
  // a run whose updates did nothing (or went the wrong way) stays at or below the untrained ranking
  assert.ok(initSrcc < 0.75, `untrained SRCC ${initSrcc}: the test data are too easy`);
  assert.ok(srcc >= 0.8, `held-out SRCC ${srcc}`);
  const log = readFileSync(res.logPath, 'utf8').trim().split('\n');
  assert.equal(log[0], 'epoch,lr,train_loss,val_srcc,val_plcc,seconds');
  assert.equal(log.length, 26);
  // only the three outputs are left (no temporary files, the pixel cache removed)
  assert.deepEqual(readdirSync(out).sort(), ['checkpoint.json', 'log.csv', 'model.json']);
});

function tensorsOf(path: string): unknown {
  return (JSON.parse(readFileSync(path, 'utf8')) as { tensors: unknown }).tensors;
}

test('same seed twice gives identical weights, whatever the thread count and cache kind', async () => {
  const a = await train({ train: trainSet, val: valSet, outDir: join(root, 'det-a'), config: small, threads: 1 });
  // disk cache (memory budget 0) and two workers
  const b = await train({ train: trainSet, val: valSet, outDir: join(root, 'det-b'), config: small, threads: 2, cacheMemBytes: 0 });
  assert.deepEqual(Array.from(b.params), Array.from(a.params));
  assert.deepEqual(tensorsOf(b.modelPath), tensorsOf(a.modelPath));
  assert.deepEqual(b.log.map((r) => [r.trainLoss, r.valSrcc]), a.log.map((r) => [r.trainLoss, r.valSrcc]));
  const c = await train({ train: trainSet, val: valSet, outDir: join(root, 'det-c'), config: { ...small, seed: 4 }, threads: 1 });
  assert.notDeepEqual(Array.from(c.params), Array.from(a.params));
});

test('resume continues exactly: 4 epochs == 2 epochs + resume to 4 (2 kernels, min-max, MSE)', async () => {
  const config: Partial<TrainConfig> = { ...small, kernels: 2, pooling: 'min-max', loss: 'mse', stepSize: 3 };
  const full = await train({ train: trainSet, val: valSet, outDir: join(root, 'res-full'), config, threads: 2 });
  const half = await train({ train: trainSet, val: valSet, outDir: join(root, 'res-half'), config: { ...config, epochs: 2 }, threads: 1 });
  assert.equal(readCheckpoint(half.checkpointPath).epochsDone, 2);
  const trainingOf = (path: string): unknown => (parseWeights(readFileSync(path, 'utf8')).provenance as unknown as { training: unknown }).training;
  assert.deepEqual(trainingOf(half.modelPath), { epochsCompleted: 2, epochsPlanned: 2, finished: true });
  const rest = await train({ train: trainSet, val: valSet, outDir: join(root, 'res-rest'), config: { epochs: 4 }, resume: half.checkpointPath, threads: 2 });
  assert.deepEqual(Array.from(rest.params), Array.from(full.params));
  const strip = (cp: ReturnType<typeof readCheckpoint>) => ({ ...cp, log: cp.log.map((r) => ({ ...r, seconds: 0 })) });
  assert.deepEqual(strip(readCheckpoint(rest.checkpointPath)), strip(readCheckpoint(full.checkpointPath)));
  assert.deepEqual(tensorsOf(rest.modelPath), tensorsOf(full.modelPath));
  const model = parseWeights(readFileSync(rest.modelPath, 'utf8'));
  assert.equal(model.scale, 'z-level');
  assert.deepEqual(trainingOf(rest.modelPath), { epochsCompleted: 4, epochsPlanned: 4, finished: true });
  assert.equal(readFileSync(rest.logPath, 'utf8').trim().split('\n').length, 5);
});

test('resume refuses other settings or other data, and validates options', async () => {
  const cp = join(root, 'res-half', 'checkpoint.json');
  await assert.rejects(train({ train: trainSet, val: valSet, outDir: join(root, 'bad'), config: { kernels: 3 }, resume: cp }), /cannot resume with different settings: kernels \(checkpoint 2, requested 3\)/);
  await assert.rejects(train({ train: trainSet.slice(1), val: valSet, outDir: join(root, 'bad'), resume: cp }), /different training\/validation data/);
  await assert.rejects(train({ train: trainSet, val: valSet, outDir: join(root, 'bad'), config: { epochs: 0 } }), /Expected integer between 1 and 100000 for epochs but received 0/);
  await assert.rejects(train({ train: [], outDir: join(root, 'bad') }), /at least one training image/);
  await assert.rejects(train({ train: [{ path: join(root, 'nope.png'), target: 1 }, trainSet[0]!], outDir: join(root, 'bad') }), /nope\.png: image not found/);
  assert.ok(!existsSync(join(root, 'bad', 'model.json')));
});

test('--init fine-tunes from given weights: the run starts from them, names them, and refuses another architecture', async () => {
  const first = await train({ train: trainSet, val: valSet, outDir: join(root, 'init-base'), config: { ...small, loss: 'mse' } });
  const base = parseWeights(readFileSync(first.modelPath, 'utf8'));
  const init = { model: base, label: 'base/model.json', sha256: 'ab'.repeat(32) };
  // a learning rate this small leaves the weights where they started: the run began from `init`, not from the seed
  const tuned = await train({ train: trainSet, val: valSet, outDir: join(root, 'init-tuned'), config: { ...small, epochs: 1, lr: 1e-9, loss: 'plcc' }, init });
  const model = parseWeights(readFileSync(tuned.modelPath, 'utf8'));
  const maxDiff = Math.max(...Array.from(model.convWeight, (v, i) => Math.abs(v - base.convWeight[i]!)));
  assert.ok(maxDiff < 1e-6, `weights moved ${maxDiff} from the initial model`);
  assert.deepEqual((model.provenance as Record<string, unknown>).initialisedFrom, { file: 'base/model.json', sha256: 'ab'.repeat(32) });
  // the seed's own initialisation is far from it
  const seeded = await train({ train: trainSet, val: valSet, outDir: join(root, 'init-seeded'), config: { ...small, epochs: 1, lr: 1e-9, loss: 'plcc' } });
  const s = parseWeights(readFileSync(seeded.modelPath, 'utf8'));
  assert.ok(Math.max(...Array.from(s.convWeight, (v, i) => Math.abs(v - base.convWeight[i]!))) > 1e-3);
  await assert.rejects(train({ train: trainSet, val: valSet, outDir: join(root, 'init-bad'), config: { ...small, kernels: 2 }, init }), /base\/model\.json: cannot start from a 1-kernel min-pooling model for a 2-kernel min-pooling run/);
  await assert.rejects(train({ train: trainSet, val: valSet, outDir: join(root, 'init-bad2'), config: small, init, resume: join(root, 'init-base', 'checkpoint.json') }), /either --init or --resume/);
});
