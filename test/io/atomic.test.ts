import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tempPathFor, writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomic.js';
import { mountSmallDisk } from './tmpfs.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'focuslite-atomic-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('writes strings and bytes, replaces an existing file, leaves no temporary file', () => withDir(async (dir) => {
  const target = join(dir, 'tiles.csv');
  await writeFileAtomic(target, 'x,y\n1,2\n');
  assert.equal(await readFile(target, 'utf8'), 'x,y\n1,2\n');
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
  await writeFileAtomic(target, bytes);
  assert.deepEqual(new Uint8Array(await readFile(target)), bytes);
  assert.deepEqual(await readdir(dir), ['tiles.csv']);
}));

test('streams chunks from sync and async iterables', () => withDir(async (dir) => {
  const target = join(dir, 'out.txt');
  await writeFileAtomic(target, ['a', new Uint8Array([98]), 'c']);
  assert.equal(await readFile(target, 'utf8'), 'abc');
  async function* lines() {
    for (let i = 0; i < 1000; i++) yield `${i}\n`;
  }
  await writeFileAtomic(target, lines());
  const text = await readFile(target, 'utf8');
  assert.equal(text.split('\n').length, 1001);
  assert.deepEqual(await readdir(dir), ['out.txt']);
}));

test('a producer failing mid-write leaves the old file intact and no temporary file', () => withDir(async (dir) => {
  const target = join(dir, 'summary.json');
  await writeFile(target, '{"old":true}');
  async function* failing() {
    yield '{"new":';
    yield '"partial';
    throw new Error('scoring crashed');
  }
  await assert.rejects(writeFileAtomic(target, failing()), /scoring crashed/);
  assert.equal(await readFile(target, 'utf8'), '{"old":true}');
  assert.deepEqual(await readdir(dir), ['summary.json']);
  // and when there was no old file, there is still none
  const fresh = join(dir, 'fresh.json');
  await assert.rejects(writeFileAtomic(fresh, failing()), /scoring crashed/);
  assert.deepEqual(await readdir(dir), ['summary.json']);
}));

test('a failing rename (target is a non-empty folder) removes the temporary file', () => withDir(async (dir) => {
  const target = join(dir, 'heatmap.png');
  await mkdir(target);
  await writeFile(join(target, 'keep'), 'x');
  await assert.rejects(writeFileAtomic(target, 'png bytes'));
  assert.deepEqual(await readdir(dir), ['heatmap.png']);
  assert.deepEqual(await readdir(target), ['keep']);
}));

test('a missing folder is an error, not a created path', () => withDir(async (dir) => {
  await assert.rejects(writeFileAtomic(join(dir, 'nope', 'a.txt'), 'x'), { code: 'ENOENT' });
  assert.deepEqual(await readdir(dir), []);
}));

test('concurrent writers to one target never interleave: the result is one complete payload', () => withDir(async (dir) => {
  const target = join(dir, 'race.txt');
  const payloads = Array.from({ length: 8 }, (_, i) => String(i).repeat(200_000));
  await Promise.all(payloads.map((p) => writeFileAtomic(target, p)));
  const got = await readFile(target, 'utf8');
  assert.ok(payloads.includes(got), 'final content equals one writer\'s payload');
  assert.deepEqual(await readdir(dir), ['race.txt']);
}));

test('temporary names are hidden, beside the target, and unique', () => {
  const a = tempPathFor('/data/out/slide.png');
  const b = tempPathFor('/data/out/slide.png');
  assert.match(a, /^\/data\/out\/\.slide\.png\.\d+\.[0-9a-f]{12}\.tmp$/);
  assert.notEqual(a, b);
});

test('writeFileAtomicSync replaces whole files and leaves no temporary file behind, even when it fails', async () => {
  await withDir(async (dir) => {
    writeFileAtomicSync(join(dir, 'x.json'), 'old');
    writeFileAtomicSync(join(dir, 'x.json'), 'new content');
    assert.equal(readFileSync(join(dir, 'x.json'), 'utf8'), 'new content');
    assert.deepEqual(readdirSync(dir), ['x.json']);
    // the target is a non-empty folder: the rename fails and the temporary file must be gone
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy', 'keep.txt'), 'x');
    assert.throws(() => writeFileAtomicSync(join(dir, 'busy'), 'data'));
    assert.deepEqual(readdirSync(dir).sort(), ['busy', 'x.json']);
    assert.ok(existsSync(join(dir, 'busy', 'keep.txt')));
  });
});

test('a full disk (real ENOSPC) names the target file, keeps the code and leaves no temporary file', async (t) => {
  const disk = mountSmallDisk(256);
  if (typeof disk === 'string') return t.skip(disk);
  try {
    const target = join(disk.dir, 'checkpoint.json');
    writeFileSync(target, 'old');
    const filler = disk.fill();
    const big = 'x'.repeat(100_000);
    const message = /^.*checkpoint\.json: cannot write \(no space left on device \(ENOSPC\)\)$/;
    assert.throws(() => writeFileAtomicSync(target, big), (err: Error & { code?: string }) => message.test(err.message) && err.code === 'ENOSPC');
    await assert.rejects(writeFileAtomic(target, big), (err: Error & { code?: string }) => message.test(err.message) && err.code === 'ENOSPC');
    assert.equal(readFileSync(target, 'utf8'), 'old');
    assert.deepEqual(readdirSync(disk.dir).sort(), ['checkpoint.json', 'filler.bin']);
    rmSync(filler);
    writeFileAtomicSync(target, big);
    assert.equal(readFileSync(target, 'utf8').length, 100_000);
  } finally {
    disk.unmount();
  }
});
