/** The server's pure parts: Deep Zoom geometry, the byte-bounded LRU, tolerant cohort reading, roots. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bestSlideLevel, dziLevelSize, dziMaxLevel, dziTileRect } from '../../src/http/dzi.js';
import { ByteLru } from '../../src/http/lru.js';
import { entryFromFocusJson, failedFromSummary, readCohort } from '../../src/http/cohort.js';
import { containedPath, isUnder, makeRoot } from '../../src/http/roots.js';
import { isLoopback, requestToken } from '../../src/http/auth.js';

test('DZI levels halve up to the full size; tiles carry the overlap on inner sides only', () => {
  const spec = { width: 2220, height: 2967, tileSize: 254, overlap: 1 };
  assert.equal(dziMaxLevel(2220, 2967), 12);
  assert.deepEqual(dziLevelSize(spec, 12), { width: 2220, height: 2967 });
  assert.deepEqual(dziLevelSize(spec, 11), { width: 1110, height: 1484 });
  assert.deepEqual(dziLevelSize(spec, 0), { width: 1, height: 1 });
  assert.deepEqual(dziTileRect(spec, 12, 0, 0), { x: 0, y: 0, w: 255, h: 255 });
  assert.deepEqual(dziTileRect(spec, 12, 1, 1), { x: 253, y: 253, w: 256, h: 256 });
  assert.deepEqual(dziTileRect(spec, 12, 8, 11), { x: 2031, y: 2793, w: 189, h: 174 });
  assert.equal(dziTileRect(spec, 12, 9, 0), null);
  assert.equal(dziTileRect(spec, 13, 0, 0), null);
  assert.equal(dziTileRect(spec, -1, 0, 0), null);
  assert.equal(dziTileRect(spec, 12, 0.5, 0), null);
  assert.equal(bestSlideLevel([1, 4, 16], 1), 0);
  assert.equal(bestSlideLevel([1, 4, 16], 8), 1);
  assert.equal(bestSlideLevel([1, 4.0000000001, 16], 4), 1);
  assert.equal(bestSlideLevel([1, 4, 16], 1024), 2);
});

test('ByteLru keeps the total under its limit, evicting the least recently used', () => {
  const lru = new ByteLru<Buffer>(100, (b) => b.length);
  lru.set('a', Buffer.alloc(40));
  lru.set('b', Buffer.alloc(40));
  assert.ok(lru.get('a'));
  lru.set('c', Buffer.alloc(40)); // evicts b, the least recent
  assert.equal(lru.get('b'), undefined);
  assert.ok(lru.get('a') && lru.get('c'));
  assert.equal(lru.bytes, 80);
  lru.set('huge', Buffer.alloc(101));
  assert.equal(lru.get('huge'), undefined);
  for (let i = 0; i < 1000; i++) lru.set(`k${i}`, Buffer.alloc(7));
  assert.ok(lru.bytes <= 100);
  lru.deletePrefix('k99');
  assert.equal(lru.get('k999'), undefined);
});

test('cohort entries are read tolerantly: missing fields are null, new statuses kept, bad JSON an error entry', () => {
  const e = entryFromFocusJson('x', 'x.focus.json', { status: 'no tissue found', cropsScored: 0, qc: { pass: null }, metadata: {} });
  assert.equal(e.status, 'no tissue found');
  assert.equal(e.pass, null);
  assert.equal(e.crops, 0);
  assert.equal(e.mean, null);
  assert.equal(e.verdict, null);
  const nt = entryFromFocusJson('z', 'z.focus.json', { qc: { pass: null, verdict: 'no tissue found', reason: 'the tissue detector found no tissue' } });
  assert.deepEqual([nt.verdict, nt.reason], ['no tissue found', 'the tissue detector found no tissue']);
  assert.equal(entryFromFocusJson('p', 'p.focus.json', { qc: { pass: false } }).verdict, 'fail');
  const empty = entryFromFocusJson('y', 'y.focus.json', 'not an object');
  assert.equal(empty.status, 'ok');
  assert.equal(empty.blurShare, null);
  const failed = failedFromSummary('slide,name,status,error\n/s/a.svs,a,error,"/s/a.svs: bad, very"\n/s/b.svs,b,ok,\n', new Set());
  assert.deepEqual(failed.map((f) => [f.id, f.error]), [['a', '/s/a.svs: bad, very']]);
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-cohort-'));
  try {
    writeFileSync(join(dir, 'good.focus.json'), JSON.stringify({ cropsScored: 3, score: { mean: 1.5, p90: 2 }, qc: { pass: false } }));
    writeFileSync(join(dir, 'bad.focus.json'), '{ truncated');
    writeFileSync(join(dir, 'summary.csv'), 'slide,name,status,error\n/s/gone.svs,gone,error,/s/gone.svs: cannot open\n/s/good.svs,good,ok,\n');
    const c = readCohort(dir);
    assert.deepEqual(c.map((x) => [x.id, x.status]), [['bad', 'error'], ['gone', 'error'], ['good', 'ok']]);
    assert.match(c[0]!.error, /unreadable focus\.json/);
    assert.equal(c[2]!.pass, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('roots: real paths inside pass, links out and siblings with a common prefix do not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'focuslite-roots-'));
  try {
    mkdirSync(join(dir, 'root'));
    mkdirSync(join(dir, 'root-other'));
    writeFileSync(join(dir, 'root', 'in.txt'), 'x');
    writeFileSync(join(dir, 'root-other', 'out.txt'), 'x');
    symlinkSync(join(dir, 'root-other', 'out.txt'), join(dir, 'root', 'link.txt'));
    const root = makeRoot(join(dir, 'root'));
    assert.equal(containedPath(join(dir, 'root', 'in.txt'), [root]).ok, true);
    assert.deepEqual(containedPath(join(dir, 'root', 'link.txt'), [root]), { ok: false, status: 403, reason: 'outside the served folders' });
    assert.equal((containedPath(join(dir, 'root-other', 'out.txt'), [root]) as { status: number }).status, 403);
    assert.equal((containedPath(join(dir, 'root', '..', 'root-other', 'out.txt'), [root]) as { status: number }).status, 403);
    assert.equal((containedPath(join(dir, 'root', 'none.txt'), [root]) as { status: number }).status, 404);
    assert.equal(isUnder('/a/b', '/a/bc'), false);
    assert.equal(isUnder('/a/b', '/a/b/c'), true);
    assert.throws(() => makeRoot(join(dir, 'nope')), /folder not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loopback hosts and where a request carries its token', () => {
  for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '192.168.1.4', 'example.org']) assert.ok(!isLoopback(h), h);
  assert.equal(requestToken({ authorization: 'Bearer abc' }, {}), 'abc');
  assert.equal(requestToken({ cookie: 'x=1; focuslite_token=t%3D1' }, {}), 't=1');
  assert.equal(requestToken({}, { token: 'q' }), 'q');
  assert.equal(requestToken({}, {}), null);
});
