/** expandInputs: files as given, folders searched recursively (sorted, extension filter), globs, errors, dedup. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expandInputs, IMAGE_EXTENSIONS } from '../../src/io/inputs.js';
import { projectRoot } from '../helpers.js';
import { unprivileged, unprivilegedSkip } from '../unprivileged.js';

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

// ---------------------------------------------------------------------------------------------
// Symbolic links, unreadable folders and files (as an unprivileged user: root reads anything)

test('a symlinked subfolder is followed; links back up the tree end; broken links are reported', async () => {
  const root = p('links');
  mkdirSync(join(root, 'real', 'inner'), { recursive: true });
  mkdirSync(join(root, 'elsewhere'), { recursive: true });
  writeFileSync(join(root, 'real', 'a.png'), 'a');
  writeFileSync(join(root, 'real', 'inner', 'b.png'), 'b');
  writeFileSync(join(root, 'elsewhere', 'c.png'), 'c');
  symlinkSync(join(root, 'elsewhere'), join(root, 'real', 'linked'));
  symlinkSync(join(root, 'elsewhere', 'c.png'), join(root, 'real', 'file-link.png'));
  symlinkSync(join(root, 'real'), join(root, 'real', 'inner', 'loop')); // back up: a cycle
  symlinkSync(join(root, 'nowhere'), join(root, 'real', 'dangling.png'));
  mkfifoLike(join(root, 'real', 'pipe.png'));
  const r = await expandInputs([join(root, 'real')]);
  assert.deepEqual(r.files, [
    join(root, 'real', 'a.png'),
    join(root, 'real', 'file-link.png'),
    join(root, 'real', 'inner', 'b.png'),
    join(root, 'real', 'linked', 'c.png'),
  ]);
  assert.equal(r.errors.length, 1, r.errors.join('\n'));
  assert.match(r.errors[0]!, /links\/real\/dangling\.png: broken symbolic link \(file not found\)$/);
  // A folder inside another input is listed for each input (the same path twice is dropped).
  const twice = await expandInputs([join(root, 'real', 'inner'), join(root, 'real')]);
  assert.equal(twice.files[0], join(root, 'real', 'inner', 'b.png'));
  for (const f of r.files) assert.ok(twice.files.includes(f), f);
  assert.equal(new Set(twice.files).size, twice.files.length);
});

/** A FIFO named like an image: must not be listed (reading it would block). */
function mkfifoLike(path: string): void {
  const res = spawnSync('mkfifo', [path]);
  if (res.status !== 0) writeFileSync(path + '.skip', ''); // no mkfifo: the check is vacuous here
}

test('an unreadable subfolder is reported with its path and reason, and the rest is listed', { skip: unprivilegedSkip() }, () => {
  const root = mkdtempSync(join(tmpdir(), 'focuslite-inputs-eacces-'));
  try {
    mkdirSync(join(root, 'ok'));
    mkdirSync(join(root, 'locked'));
    writeFileSync(join(root, 'ok', 'a.png'), 'a');
    writeFileSync(join(root, 'locked', 'b.png'), 'b');
    writeFileSync(join(root, 'z.png'), 'z');
    chmodSync(root, 0o755);
    chmodSync(join(root, 'locked'), 0o000);
    // expandInputs in a child running without root's privileges.
    const script = `import(${JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'src', 'io', 'inputs.js')).href)}).then(async (m) => {
      process.stdout.write(JSON.stringify(await m.expandInputs([${JSON.stringify(root)}, ${JSON.stringify(join(root, 'locked', 'b.png'))}])));
    });`;
    const { file, args } = unprivileged([process.execPath, '--input-type=module', '-e', script]);
    const res = spawnSync(file, args, { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const r = JSON.parse(res.stdout) as { files: string[]; errors: string[] };
    assert.deepEqual(r.files, [join(root, 'ok', 'a.png'), join(root, 'z.png')]);
    assert.deepEqual(r.errors, [
      `${join(root, 'locked')}: cannot read folder (permission denied)`,
      `${join(root, 'locked', 'b.png')}: permission denied`,
    ]);
  } finally {
    chmodSync(join(root, 'locked'), 0o755);
    rmSync(root, { recursive: true, force: true });
  }
});
