import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from '../../../src/io/encode.js';
import {
  DatasetError,
  MissingImagesError,
  checkImagesExist,
  detectFormat,
  loadDataset,
  loadFocusPath,
  loadScoreCsv,
  loadTcgaAtFocus,
  parseFocusPathList,
  parseScoreCsv,
  parseTcgaAtFocusList,
  splitCsvLine,
} from '../../../src/io/datasets/index.js';
import { makeTissueLikeImage } from '../../../src/synth/tissue-image.js';
import { sharedOnly, sharedPath } from '../../helpers.js';

let png: Buffer | undefined;
async function smallPng(): Promise<Buffer> {
  png ??= await encodePng(makeTissueLikeImage(16, 16, 1));
  return png;
}

async function writeImage(path: string): Promise<void> {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, await smallPng());
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'focuslite-datasets-'));
}

test('FocusPath layout: .tif names resolve to .png files, target |z|, group = slide', async () => {
  const root = tempDir();
  try {
    const list = [
      'Slide01_Strip00_Slice01_Position02.tif,1,0,1,2,87.98687721,-7',
      'Slide01_Strip00_Slice08_Position02.tif,1,0,8,2,23.5,0',
      'Slide02_Strip01_Slice12_Position05.tif,2,1,12,5,61.2,4',
      'Slide03_Strip00_Slice03_Position01.tif,3,0,3,1,40,-2',
    ].join('\n') + '\n';
    writeFileSync(join(root, 'split.txt'), list);
    const images = join(root, 'images');
    await writeImage(join(images, 'Slide01_Strip00_Slice01_Position02.png'));
    await writeImage(join(images, 'Slide01_Strip00_Slice08_Position02.png'));
    await writeImage(join(images, 'Slide02_Strip01_Slice12_Position05.png'));
    // stored under the listed name: the fallback after .png
    await writeImage(join(images, 'Slide03_Strip00_Slice03_Position01.tif'));
    const ds = await loadFocusPath(join(root, 'split.txt'));
    assert.equal(ds.format, 'focuspath');
    assert.equal(ds.imagesDir, images);
    assert.deepEqual(ds.items.map((it) => it.target), [7, 0, 4, 2]);
    assert.deepEqual(ds.items.map((it) => it.group), ['1', '1', '2', '3']);
    assert.equal(ds.items[0]!.path, join(images, 'Slide01_Strip00_Slice01_Position02.png'));
    assert.equal(ds.items[3]!.path, join(images, 'Slide03_Strip00_Slice03_Position01.tif'));
    assert.equal(ds.items[0]!.label, undefined);

    // the images folder can be given explicitly (FocusPath's own layout: list beside a folder of PNGs)
    const again = await loadFocusPath(join(root, 'split.txt'), { imagesDir: images });
    assert.deepEqual(again.items, ds.items);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('missing images are all listed in one error before any work', async () => {
  const root = tempDir();
  try {
    const rows = Array.from({ length: 9 }, (_, i) => `Slide01_Strip00_Slice0${i}_Position01.tif,1,0,${i},1,50,${i - 4}`);
    writeFileSync(join(root, 'list.txt'), rows.join('\n'));
    await writeImage(join(root, 'images', 'Slide01_Strip00_Slice00_Position01.png'));
    await writeImage(join(root, 'images', 'Slide01_Strip00_Slice05_Position01.png'));
    // unreadable: a folder where a file should be
    mkdirSync(join(root, 'images', 'Slide01_Strip00_Slice06_Position01.png'));
    const err = await loadFocusPath(join(root, 'list.txt')).then(
      () => assert.fail('expected a MissingImagesError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof MissingImagesError);
    assert.equal(err.missing.length, 7);
    assert.equal(err.total, 9);
    assert.match(err.message, /list\.txt: 7 of 9 listed images are missing or unreadable: Slide01_Strip00_Slice01_Position01\.tif, .* \(and 2 more\)$/);
    assert.ok(!err.message.includes('\n'));
    // without checking, paths are predicted (.png) and nothing is stat-ed
    const unchecked = await loadFocusPath(join(root, 'list.txt'), { checkImages: false });
    assert.equal(unchecked.items[1]!.path, join(root, 'images', 'Slide01_Strip00_Slice01_Position01.png'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('checkImagesExist stats files: missing, folders and unreadable files are reported in order', async () => {
  const root = tempDir();
  try {
    await writeImage(join(root, 'a.png'));
    await writeImage(join(root, 'locked.png'));
    chmodSync(join(root, 'locked.png'), 0o000);
    mkdirSync(join(root, 'dir.png'));
    const bad = await checkImagesExist([join(root, 'a.png'), join(root, 'b.png'), join(root, 'dir.png'), join(root, 'locked.png')]);
    const expected = [join(root, 'b.png'), join(root, 'dir.png')];
    // root can read anything; only other users see the locked file as unreadable
    if (process.getuid?.() !== 0) expected.push(join(root, 'locked.png'));
    assert.deepEqual(bad, expected);
    assert.deepEqual(await checkImagesExist([]), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('malformed rows name the file and line', () => {
  assert.throws(() => parseFocusPathList('a.tif,1,0,1,2,3.5,-1\n\nb.tif,1,0,1,2,3.5\n', 'l.txt'), (e: unknown) => {
    assert.ok(e instanceof DatasetError);
    assert.equal(e.message, 'l.txt:3: expected 7 fields (name,slide,strip,slice,position,score,z-level) but found 6');
    return true;
  });
  assert.throws(() => parseFocusPathList('a.tif,1,0,1,2,3.5,x\n', 'l.txt'), /^DatasetError: l\.txt:1: z-level "x" is not a number$/m);
  assert.throws(() => parseFocusPathList('a.tif,1,0,1,2,3.5,1\nb.tif,1.5,0,1,2,3.5,1\n', 'l.txt'), /l\.txt:2: slide "1\.5" is not an integer/);
  assert.throws(() => parseFocusPathList('\n\n', 'l.txt'), /l\.txt: no rows/);
  assert.throws(() => parseTcgaAtFocusList('In Focus/A/S/p.png,A,0,0\nIn Focus/A/S/q.png,A,0,2\n', 't.txt'), /t\.txt:2: label must be 0 or 1 but is 2/);
  assert.throws(() => parseTcgaAtFocusList('In Focus/A/S/p.png,A,0\n', 't.txt'), /t\.txt:1: expected 4 fields \(path,organ,marker,label\) but found 3/);
  assert.throws(() => parseScoreCsv('path,score\na.png,1\nb.png,high\n', 's.csv'), /s\.csv:3: score "high" is not a number/);
  assert.throws(() => parseScoreCsv('a.png\n', 's.csv'), /s\.csv:1: expected path,score\[,label\]/);
});

test('parsers tolerate a header, CRLF, a BOM, blank and comment lines', () => {
  const rows = parseFocusPathList('\uFEFFfile,slide,strip,slice,position,score,z-level\r\na.tif,1,0,1,2,3.5,-1\r\n# note\r\n\r\nb.tif,2,0,1,2,3.5,3\r\n', 'l.txt');
  assert.deepEqual(rows.map((r) => [r.line, r.name, r.zLevel]), [[2, 'a.tif', -1], [5, 'b.tif', 3]]);
  assert.deepEqual(splitCsvLine('"a, b.png",2,"say ""hi"""'), ['a, b.png', '2', 'say "hi"']);
});

test('TCGA@Focus layout: nested folders with spaces, target = label, group = slide', async () => {
  const root = tempDir();
  try {
    const rows = [
      'In Focus/Adrenal Gland/TCGA-OR-A5JB-01Z/patch_i_32381_j_37784.png,Adrenal Gland,0,0',
      'Out of Focus/Adrenal Gland/TCGA-OR-A5JB-01Z/patch_i_100_j_200.png,Adrenal Gland,0,1',
      'Out of Focus (Marker)/Brain/TCGA-XY-1234-01Z/patch_i_5_j_6.png,Brain,1,1',
    ];
    writeFileSync(join(root, 'tcga.txt'), rows.join('\n') + '\n');
    for (const r of rows) await writeImage(join(root, ...r.split(',')[0]!.split('/')));
    const ds = await loadTcgaAtFocus(join(root, 'tcga.txt'));
    assert.equal(ds.format, 'tcga-at-focus');
    assert.deepEqual(ds.items.map((it) => [it.target, it.label, it.group]), [[0, 0, 'TCGA-OR-A5JB-01Z'], [1, 1, 'TCGA-OR-A5JB-01Z'], [1, 1, 'TCGA-XY-1234-01Z']]);
    assert.equal(ds.items[2]!.path, join(root, 'Out of Focus (Marker)', 'Brain', 'TCGA-XY-1234-01Z', 'patch_i_5_j_6.png'));
    const parsed = parseTcgaAtFocusList(rows.join('\n'), 'tcga.txt');
    assert.deepEqual(parsed.map((r) => [r.organ, r.marker]), [['Adrenal Gland', 0], ['Adrenal Gland', 0], ['Brain', 1]]);
    // images elsewhere: the root is given; a missing one is reported by its listed path
    rmSync(join(root, 'In Focus'), { recursive: true });
    await assert.rejects(loadTcgaAtFocus(join(root, 'tcga.txt')), /tcga\.txt: 1 of 3 listed images are missing or unreadable: In Focus\/Adrenal Gland\/TCGA-OR-A5JB-01Z\/patch_i_32381_j_37784\.png$/);
    await assert.rejects(loadTcgaAtFocus(join(root, 'tcga.txt'), { imagesDir: join(root, 'nowhere') }), /nowhere: image folder not found/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('score CSV: optional header, optional label, relative paths against the CSV folder or --images', async () => {
  const root = tempDir();
  try {
    await writeImage(join(root, 'data', 'a.png'));
    await writeImage(join(root, 'data', 'sub', 'b.png'));
    await writeImage(join(root, 'elsewhere', 'c.png'));
    writeFileSync(join(root, 'data', 'scores.csv'), `a.png,1.5\nsub/b.png,3,1\n${join(root, 'elsewhere', 'c.png')},0.25,0\n`);
    const ds = await loadScoreCsv(join(root, 'data', 'scores.csv'));
    assert.equal(ds.format, 'csv');
    assert.deepEqual(ds.items.map((it) => [it.path, it.target, it.label]), [
      [join(root, 'data', 'a.png'), 1.5, undefined],
      [join(root, 'data', 'sub', 'b.png'), 3, 1],
      [join(root, 'elsewhere', 'c.png'), 0.25, 0],
    ]);
    // header with named columns in another order, images dir given
    writeFileSync(join(root, 'named.csv'), 'label,score,file,slide\n0,2,a.png,s1\n1,4,sub/b.png,s2\n');
    const named = await loadScoreCsv(join(root, 'named.csv'), { imagesDir: join(root, 'data') });
    assert.deepEqual(named.items.map((it) => [it.path, it.target, it.label, it.group]), [
      [join(root, 'data', 'a.png'), 2, 0, 's1'],
      [join(root, 'data', 'sub', 'b.png'), 4, 1, 's2'],
    ]);
    writeFileSync(join(root, 'bad.csv'), 'path,score\nmissing.png,1\na.png,2\n');
    await assert.rejects(loadScoreCsv(join(root, 'bad.csv')), /bad\.csv: 2 of 2 listed images are missing or unreadable: missing\.png, a\.png/);
    await assert.rejects(loadScoreCsv(join(root, 'none.csv')), /none\.csv: cannot read list file \(not found\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('detectFormat and loadDataset(auto) pick the right loader', async () => {
  assert.equal(detectFormat('Slide01_Strip00_Slice01_Position02.tif,1,0,1,2,87.9,-7\n'), 'focuspath');
  assert.equal(detectFormat('In Focus/Adrenal Gland/TCGA-OR/patch_i_1_j_2.png,Adrenal Gland,0,0\n'), 'tcga-at-focus');
  assert.equal(detectFormat('path,score\na.png,1\n'), 'csv');
  const root = tempDir();
  try {
    await writeImage(join(root, 'images', 'x_z0.png'));
    writeFileSync(join(root, 'list.txt'), 'x_z0.tif,1,0,0,0,0,0\n');
    const ds = await loadDataset(join(root, 'list.txt'));
    assert.equal(ds.format, 'focuspath');
    assert.equal(ds.items[0]!.path, join(root, 'images', 'x_z0.png'));
    await assert.rejects(loadDataset(join(root, 'list.txt'), 'xml' as never), /Expected one of focuspath, tcga-at-focus, csv, auto for dataset format but received xml/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the real FocusPath split and full lists parse: 5,200 and 6,930 rows, targets |z|', sharedOnly(), async () => {
  const split = await loadFocusPath(sharedPath('data', 'labels', 'focuspath-full-split1.txt'), { checkImages: false });
  assert.equal(split.items.length, 5200);
  const zs = parseFocusPathList(readFileSync(sharedPath('data', 'labels', 'focuspath-full-split1.txt'), 'utf8'), 'split1').map((r) => r.zLevel);
  assert.equal(Math.min(...zs), -10);
  assert.equal(Math.max(...zs), 13);
  assert.equal(zs.filter((z) => z === 0).length, 336);
  assert.deepEqual(split.items.map((it) => it.target), zs.map((z) => Math.abs(z)));
  assert.equal(new Set(split.items.map((it) => it.group)).size, 9);
  assert.ok(split.items[0]!.path.endsWith('Slide01_Strip00_Slice01_Position02.png'));
  const full = await loadFocusPath(sharedPath('data', 'labels', 'focuspath-full.csv'), { checkImages: false });
  assert.equal(full.items.length, 6930);
  assert.equal(detectFormat(readFileSync(sharedPath('data', 'labels', 'focuspath-full.csv'), 'utf8')), 'focuspath');
  // the images are not in ../shared: checking reports all of them at once
  await assert.rejects(
    loadFocusPath(sharedPath('data', 'labels', 'focuspath-full-split1.txt'), { imagesDir: sharedPath('data', 'labels') }),
    /focuspath-full-split1\.txt: 5200 of 5200 listed images are missing or unreadable: Slide01_Strip00_Slice01_Position02\.tif, .*\(and 5195 more\)$/,
  );
});

test('the real TCGA@Focus list parses: 14,350 rows, 3,022 out of focus, 560 by marker', sharedOnly(), async () => {
  const file = sharedPath('data', 'labels', 'tcga-at-focus.txt');
  const ds = await loadTcgaAtFocus(file, { checkImages: false });
  assert.equal(ds.items.length, 14350);
  assert.equal(ds.items.filter((it) => it.target === 1).length, 3022);
  assert.ok(ds.items.every((it) => it.label === it.target));
  const rows = parseTcgaAtFocusList(readFileSync(file, 'utf8'), file);
  assert.equal(rows.filter((r) => r.marker === 1).length, 560);
  // the top folder agrees with the label everywhere
  assert.ok(rows.every((r) => (r.path.startsWith('In Focus/') ? r.label === 0 : r.label === 1)));
  assert.equal(detectFormat(readFileSync(file, 'utf8')), 'tcga-at-focus');
  assert.ok(new Set(ds.items.map((it) => it.group)).size > 100);
});
