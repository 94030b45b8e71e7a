/** expandInputs: files as given, folders searched recursively (sorted, extension filter), globs, errors, dedup. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputs, IMAGE_EXTENSIONS } from '../../src/io/inputs.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const p = (...parts: string[]): string => join(dir, ...parts);
for (const f of ['b.png', 'a.jpg', 'C.JPEG', 'notes.txt', 'z.webp', '.hidden.png', 'sub/d.tif', 'sub/deeper/e.tiff', 'sub/f.bmp', '.git/g.png', 'empty-ish/readme.md']) {
  mkdirSync(join(dir, f, '..'), { recursive: true });
  writeFileSync(p(f), f);
}

test('a folder is searched recursively, sorted, image extensions only (case-insensitive), dot entries skipped', async () => {
  const r = await expandInputs([dir]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.files, [p('C.JPEG'), p('a.jpg'), p('b.png'), p('sub', 'd.tif'), p('sub', 'deeper', 'e.tiff'), p('z.webp')]);
});

test('custom extension list filters folders; single files are taken whatever their extension', async () => {
  const r = await expandInputs([p('sub'), p('notes.txt')], ['.tif', '.bmp']);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.files, [p('sub', 'd.tif'), p('sub', 'f.bmp'), p('notes.txt')]);
  assert.ok(IMAGE_EXTENSIONS.includes('.png') && !IMAGE_EXTENSIONS.includes('.txt'));
});

test('files keep the order given; duplicates (also via folder and glob) are dropped keeping the first', async () => {
  const r = await expandInputs([p('z.webp'), p('b.png'), p('z.webp'), dir, p('*.png')]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.files, [p('z.webp'), p('b.png'), p('C.JPEG'), p('a.jpg'), p('sub', 'd.tif'), p('sub', 'deeper', 'e.tiff')]);
});

test('absolute glob patterns expand to sorted absolute paths; ** recurses', async () => {
  const r = await expandInputs([p('*.{png,jpg,webp}')]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.files, [p('a.jpg'), p('b.png'), p('z.webp')], 'hidden files are not matched, paths stay absolute');
  const deep = await expandInputs([p('**', '*.tif*')]);
  assert.deepEqual(deep.files, [p('sub', 'd.tif'), p('sub', 'deeper', 'e.tiff')]);
});

test('relative glob patterns and folders give paths relative to the working directory', async () => {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const r = await expandInputs(['sub/**/*.tiff', 'sub']);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.files, [join('sub', 'deeper', 'e.tiff'), join('sub', 'd.tif')]);
  } finally {
    process.chdir(cwd);
  }
});

test('missing files, empty folders and patterns matching nothing are errors naming the input; the rest still expand', async () => {
  const r = await expandInputs([p('missing.png'), p('empty-ish'), p('*.zzz'), p('b.png')]);
  assert.deepEqual(r.files, [p('b.png')]);
  assert.deepEqual(r.errors, [
    `${p('missing.png')}: file not found`,
    `${p('empty-ish')}: folder holds no ${IMAGE_EXTENSIONS.join('/')} files`,
    `${p('*.zzz')}: pattern matched no files`,
  ]);
  const none = await expandInputs([]);
  assert.deepEqual(none, { files: [], errors: [] });
});
