/** Slide identity (io/file-identity.ts): real path, size, mtime and sampled bytes; folders as one slide. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileIdentity, identityChange, IDENTITY_SAMPLE_BYTES } from '../../src/io/file-identity.js';

const dir = mkdtempSync(join(tmpdir(), 'focuslite-identity-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('same name in two folders: different slides; a link is its target', () => {
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  writeFileSync(join(dir, 'a', 'x.svs'), 'slide A');
  writeFileSync(join(dir, 'b', 'x.svs'), 'slide B');
  const a = fileIdentity(join(dir, 'a', 'x.svs'));
  const b = fileIdentity(join(dir, 'b', 'x.svs'));
  assert.equal(a.kind, 'file');
  assert.equal(a.size, 7);
  assert.notEqual(a.sha256, b.sha256);
  assert.match(identityChange(a, b)!, /^another slide \(/);
  symlinkSync(join(dir, 'a', 'x.svs'), join(dir, 'link.svs'));
  assert.equal(identityChange(a, fileIdentity(join(dir, 'link.svs'))), null);
  assert.equal(identityChange(a, fileIdentity(join(dir, 'a', '..', 'a', 'x.svs'))), null);
});

test('a change in size, mtime, head or tail is seen; the middle of a large file is not hashed', () => {
  const path = join(dir, 'big.svs');
  const bytes = Buffer.alloc(3 * IDENTITY_SAMPLE_BYTES, 7);
  writeFileSync(path, bytes);
  const t = new Date('2026-01-01T00:00:00Z');
  utimesSync(path, t, t);
  const base = fileIdentity(path);
  const rewrite = (mutate: (b: Buffer) => void): ReturnType<typeof fileIdentity> => {
    const copy = Buffer.from(bytes);
    mutate(copy);
    writeFileSync(path, copy);
    utimesSync(path, t, t); // same mtime: only the bytes tell
    return fileIdentity(path);
  };
  assert.equal(identityChange(base, rewrite(() => undefined)), null);
  assert.equal(identityChange(base, rewrite((b) => (b[10] = 1))), 'content changed (sampled bytes differ)');
  assert.equal(identityChange(base, rewrite((b) => (b[b.length - 1] = 1))), 'content changed (sampled bytes differ)');
  assert.equal(identityChange(base, rewrite((b) => (b[IDENTITY_SAMPLE_BYTES + 5] = 1))), null, 'documented: the middle is not sampled');
  writeFileSync(path, bytes);
  assert.match(identityChange(base, fileIdentity(path))!, /^modified \(2026-01-01T00:00:00.000Z → /);
  writeFileSync(path, bytes.subarray(1));
  assert.match(identityChange(base, fileIdentity(path))!, /^size changed \(196608 → 196607 bytes\)$/);
});

test('a folder slide (DICOM series): its files, in name order; errors name the path', () => {
  const series = join(dir, 'series');
  mkdirSync(series);
  writeFileSync(join(series, 'level0.dcm'), 'zero');
  writeFileSync(join(series, 'level1.dcm'), 'one');
  writeFileSync(join(series, '.hidden'), 'ignored');
  const a = fileIdentity(series);
  assert.deepEqual([a.kind, a.size], ['folder', 7]);
  writeFileSync(join(series, '.hidden'), 'still ignored');
  assert.equal(identityChange(a, fileIdentity(series)), null);
  writeFileSync(join(series, 'level1.dcm'), 'ONE');
  assert.notEqual(identityChange(a, fileIdentity(series)), null);
  assert.throws(() => fileIdentity(join(dir, 'missing.svs')), { message: `${join(dir, 'missing.svs')}: cannot read (no such file or folder (ENOENT))` });
});
