/**
 * `focuslite serve` against the real server on a free loopback port, over an output folder made
 * by the real `slide` command: the cohort API, Deep Zoom tiles from the sharp and OpenSlide
 * readers, the overlay data, scoring uploads (equal to `score --format json`), jobs with
 * server-sent events, and the security rules (roots, traversal, links, tokens, limits).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { resolveModel, defaultModelPath } from '../../src/io/model-source.js';
import { openSlide, isOpenSlideAvailable } from '../../src/io/slide/index.js';
import { colourAt } from '../../src/pipeline/slide-outputs.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/http/server.js';
import { SlideTiles } from '../../src/http/slide-tiles.js';
import { resolveToken, tokensEqual } from '../../src/http/auth.js';
import { sharedOnly, sharedPath } from '../helpers.js';
import { makeServeFixture, runCli, type ServeFixture } from './fixture.js';

let fx: ServeFixture;
let server: RunningServer;
let base: ServeOptions;

before(async () => {
  if (sharedOnly().skip) return;
  fx = await makeServeFixture();
  const score = await resolveModel();
  const slide = await resolveModel(defaultModelPath('1k-zlevel'));
  base = {
    outDir: fx.out, slideRoots: fx.roots, port: 0, scoreModel: score.model, scoreModelLabel: score.label,
    jobs: { model: slide.model, modelLabel: slide.path, threshold: 3, threads: 1 }, maxUploadBytes: 4 * 1024 * 1024,
  };
  server = await startServer(base);
});
after(async () => {
  await server?.close();
  fx?.cleanup();
});

const get = (path: string, init?: RequestInit) => fetch(server.url + path, init);

/** A GET with the path sent exactly as written (fetch would normalise `..`). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /api/slides lists every slide of the folder, failed ones with their error', sharedOnly(), async () => {
  const res = await get('/api/slides');
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { slides: Array<{ id: string; status: string; error: string; viewable: boolean; crops: number | null; pass: boolean | null; scanDate: string | null }> };
  const ids = doc.slides.map((s) => s.id);
  for (const id of ['broken', 'cmu-1-small-region', 'kidney-48-5', 'tcga-cr-7395-01a-01-ts1', 'small_dicom', 'escape', 'elsewhere']) assert.ok(ids.includes(id), `${id} missing from ${ids}`);
  const broken = doc.slides.find((s) => s.id === 'broken')!;
  assert.equal(broken.status, 'error');
  assert.match(broken.error, /broken\.svs/);
  const cmu = doc.slides.find((s) => s.id === 'cmu-1-small-region')!;
  assert.equal(cmu.status, 'ok');
  assert.equal(cmu.viewable, true);
  assert.ok(cmu.crops! > 50);
  assert.equal(cmu.scanDate, '2009-12-29T09:59:15');
  assert.equal(doc.slides.find((s) => s.id === 'escape')!.viewable, false);
  // a slide without a pass/fail verdict says why, in focus.json's words
  const kidney = doc.slides.find((s) => s.id === 'kidney-48-5')! as unknown as { verdict: string; reason: string; pass: boolean | null };
  assert.equal(kidney.pass, null);
  assert.equal(kidney.verdict, 'no tissue found');
  assert.match(kidney.reason, /no tissue/);
  const csv = await (await get('/api/slides.csv')).text();
  assert.match(csv.split('\n')[0]!, /^id,slide,status,qc,blur_share,tissue_mm2,crops,mean,p90,scan_date,error$/);
  assert.ok(csv.split('\n').some((l) => l.startsWith('broken,') && l.includes(',error,')));
  assert.ok(csv.split('\n').some((l) => l.startsWith('kidney-48-5,') && l.includes(',no tissue found,')));
});

test('GET /api/slides/<id> is its focus.json; /tiles carries every scored crop with heat-map colours', sharedOnly(), async () => {
  const focus = (await (await get('/api/slides/cmu-1-small-region')).json()) as { cropsScored: number; blur: { threshold: number } };
  const ov = (await (await get('/api/slides/cmu-1-small-region/tiles')).json()) as { threshold: number; scale: string; range: { lo: number; hi: number }; tiles: Array<{ score: number; rgb: number[]; cell: unknown; blurred: boolean }> };
  assert.equal(ov.tiles.length, focus.cropsScored);
  assert.equal(ov.threshold, focus.blur.threshold);
  assert.equal(ov.scale, 'z-level');
  assert.deepEqual([ov.range.lo, ov.range.hi], [0, 8]);
  for (const t of ov.tiles) {
    assert.deepEqual(t.rgb, colourAt(t.score / 8));
    assert.ok(t.cell, 'every tile has its map cell');
    assert.equal(t.blurred, t.score > 3);
  }
  // sent gzipped to clients that accept it (a large slide's overlay is tens of MB of JSON), plain otherwise
  const plain = await rawGet(server.url, '/api/slides/cmu-1-small-region/tiles');
  assert.equal((JSON.parse(plain.body) as { tiles: unknown[] }).tiles.length, focus.cropsScored);
  const gz = await new Promise<string | undefined>((resolve, reject) => {
    const u = new URL(server.url);
    request({ host: u.hostname, port: u.port, path: '/api/slides/cmu-1-small-region/tiles', headers: { 'Accept-Encoding': 'gzip' } }, (res) => { res.resume(); resolve(res.headers['content-encoding']); }).on('error', reject).end();
  });
  assert.equal(gz, 'gzip');
  const png = await get('/api/slides/cmu-1-small-region/heatmap.png');
  assert.equal(png.headers.get('content-type'), 'image/png');
  assert.equal((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).format, 'png');
});

async function dziSize(id: string): Promise<{ w: number; h: number; tile: number; overlap: number }> {
  const xml = await (await get(`/slides/${id}.dzi`)).text();
  const n = (re: RegExp) => Number(re.exec(xml)![1]);
  return { w: n(/Width="(\d+)"/), h: n(/Height="(\d+)"/), tile: n(/TileSize="(\d+)"/), overlap: n(/Overlap="(\d+)"/) };
}

test('Deep Zoom: the descriptor has the slide size; tiles are JPEGs of the DZI geometry and match the slide pixels', sharedOnly(), async () => {
  const d = await dziSize('cmu-1-small-region');
  assert.deepEqual([d.w, d.h], [2220, 2967]);
  const max = Math.ceil(Math.log2(Math.max(d.w, d.h)));
  // an inner tile at full resolution: tile + overlap on both sides
  const res = await get(`/slides/cmu-1-small-region_files/${max}/2_3.jpeg`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/jpeg');
  const jpeg = Buffer.from(await res.arrayBuffer());
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [d.tile + 2 * d.overlap, d.tile + 2 * d.overlap]);
  const reader = await openSlide(sharedPath('data', 'slides', 'cmu-1-small-region.svs'));
  const region = await reader.readRegion(0, 2 * d.tile - 1, 3 * d.tile - 1, info.width, info.height);
  await reader.close();
  let diff = 0;
  for (let i = 0; i < data.length; i++) diff += Math.abs(data[i]! - region.data[i]!);
  assert.ok(diff / data.length < 4, `mean abs difference ${diff / data.length} to the slide's own pixels`);
  // the coarsest level is one pixel; an edge tile is cut at the level's border
  const one = await sharp(Buffer.from(await (await get('/slides/cmu-1-small-region_files/0/0_0.jpeg')).arrayBuffer())).metadata();
  assert.deepEqual([one.width, one.height], [1, 1]);
  const lv = max - 2, lw = Math.ceil(d.w / 4), cols = Math.ceil(lw / d.tile);
  const edge = await sharp(Buffer.from(await (await get(`/slides/cmu-1-small-region_files/${lv}/${cols - 1}_0.jpeg`)).arrayBuffer())).metadata();
  assert.equal(edge.width, lw - ((cols - 1) * d.tile - d.overlap));
  // outside the pyramid: JSON 404s
  for (const p of [`/slides/cmu-1-small-region_files/${max + 1}/0_0.jpeg`, `/slides/cmu-1-small-region_files/${max}/99_0.jpeg`, '/slides/cmu-1-small-region_files/3/0_0.png', '/slides/nope.dzi']) {
    const r = await get(p);
    assert.equal(r.status, 404, p);
    assert.equal(typeof ((await r.json()) as { error: string }).error, 'string');
  }
});

test('Deep Zoom tiles through OpenSlide (JPEG 2000 SVS, 2 levels)', { skip: sharedOnly().skip || (!isOpenSlideAvailable() && 'OpenSlide not installed') }, async () => {
  const d = await dziSize('tcga-cr-7395-01a-01-ts1');
  assert.deepEqual([d.w, d.h], [4443, 3567]);
  const max = Math.ceil(Math.log2(Math.max(d.w, d.h)));
  for (const lv of [max, max - 1, max - 4, 3]) {
    const r = await get(`/slides/tcga-cr-7395-01a-01-ts1_files/${lv}/0_0.jpeg`);
    assert.equal(r.status, 200, `level ${lv}`);
    const m = await sharp(Buffer.from(await r.arrayBuffer())).stats();
    assert.ok(m.channels[0]!.mean > 20, 'not a black tile');
  }
});

test('Deep Zoom tiles through the DICOM reader', sharedOnly(), async () => {
  const d = await dziSize('small_dicom');
  assert.deepEqual([d.w, d.h], [3236, 2638]);
  const max = Math.ceil(Math.log2(Math.max(d.w, d.h)));
  for (const lv of [max, max - 3]) {
    const r = await get(`/slides/small_dicom_files/${lv}/1_1.jpeg`);
    assert.equal(r.status, 200, `level ${lv}`);
    const m = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
    assert.equal(m.format, 'jpeg');
  }
});

test('tiles of many slides: the cache stays under its byte limit and at most maxOpen readers stay open', sharedOnly(), async () => {
  const tiles = new SlideTiles({ cacheBytes: 200_000, maxOpen: 2, concurrency: 2 });
  try {
    const slides = ['cmu-1-small-region.svs', 'kidney-48-5.tif', 'small_dicom.dcm'].map((f) => sharedPath('data', 'slides', f));
    let served = 0;
    for (let round = 0; round < 3; round++) {
      await Promise.all(slides.flatMap((p, i) => [0, 1, 2].map(async (c) => {
        const buf = await tiles.tile(`s${i}`, p, 11, c, round);
        served += buf.length;
      })));
      assert.ok(tiles.cacheBytes <= 200_000, `cache ${tiles.cacheBytes} bytes`);
      assert.ok(tiles.openReaders <= 2, `${tiles.openReaders} readers open`);
    }
    assert.ok(served > 200_000, 'more was served than the cache holds');
  } finally {
    await tiles.close();
  }
});

test('a slide that cannot be read is a JSON 500 and the server keeps serving', sharedOnly(), async () => {
  const r = await get('/slides/broken.dzi');
  assert.equal(r.status, 500);
  assert.match(((await r.json()) as { error: string }).error, /cannot read the slide/);
  const t = await get('/slides/broken_files/0/0_0.jpeg');
  assert.equal(t.status, 500);
  assert.equal((await get('/api/slides')).status, 200);
});

test('security: traversal, encoded .., links out of the roots and unknown files are refused', sharedOnly(), async () => {
  const cases: Array<[string, number]> = [
    ['/slides/..%2f..%2f..%2fetc%2fpasswd.dzi', 404],
    ['/slides/%2e%2e%2f%2e%2e%2fetc%2fpasswd.dzi', 404],
    ['/slides/..%252f..%252fetc%252fpasswd.dzi', 404],
    ['/slides/..%2fqc%2fcmu-1-small-region_files/0/0_0.jpeg', 404],
    ['/api/slides/..%2f..%2fetc%2fpasswd', 404],
    ['/api/slides/%2e%2e/heatmap.png', 404],
    ['/assets/..%2f..%2fpackage.json', 404],
    ['/assets/%2e%2e%2fsrc%2fhttp%2fserver.js', 404],
    ['/vendor/openseadragon/..%2f..%2fpackage.json', 404],
    ['/assets/', 404],
    ['/vendor/openseadragon/', 404],
    ['/slides/', 404],
    // a link inside a slide root leading out of every root, a focus.json naming a file outside
    ['/slides/escape.dzi', 403],
    ['/slides/escape_files/0/0_0.jpeg', 403],
    ['/slides/elsewhere.dzi', 403],
    // an output file that is a link out of the output folder
    ['/api/slides/escape/heatmap.png', 403],
  ];
  for (const [path, status] of cases) {
    const r = await get(path);
    assert.equal(r.status, status, path);
    const body = (await r.json()) as { error: string };
    assert.ok(!JSON.stringify(body).includes('not for you'));
  }
  for (const path of ['/assets/../../package.json', '/slides/../../../../etc/passwd', '/vendor/openseadragon/../../../package.json', '/api/slides/../../etc/passwd']) {
    const r = await rawGet(server.url, path);
    assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
    assert.ok(!r.body.includes('"version"') && !r.body.includes('root:'), path);
  }
  assert.equal((await get('/assets/cohort.js')).status, 200);
  assert.equal((await get('/vendor/openseadragon/openseadragon.min.js')).status, 200);
  assert.equal((await get('/vendor/openseadragon/images/home_rest.png')).status, 200);
  const page = await get('/');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
});

test('POST /api/score returns what `score --format json` prints; size, format and empty bodies are 4xx', sharedOnly(), async () => {
  const png = sharedPath('data', 'tcga-focus', 'out-of-focus_patch_i_9651_j_81514.png');
  const r = await get('/api/score?grid=1&name=patch.png', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: readFileSync(png) });
  assert.equal(r.status, 200);
  const got = (await r.json()) as Array<Record<string, unknown>>;
  const cli = runCli(['score', png, '--format', 'json', '--grid']);
  assert.equal(cli.code, 0, cli.stderr);
  const want = JSON.parse(cli.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(got, [{ ...want[0], file: 'patch.png' }]);
  const big = await get('/api/score', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(5 * 1024 * 1024, 1) });
  assert.equal(big.status, 413);
  const junk = await get('/api/score', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: Buffer.from('not an image at all') });
  assert.equal(junk.status, 422);
  const text = await get('/api/score', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  assert.equal(text.status, 415);
  const tiny = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#fff' } }).png().toBuffer();
  assert.equal((await get('/api/score', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: tiny })).status, 422);
  assert.equal((await get('/api/slides')).status, 200);
});

test('POST /api/jobs scores a slide under a root in the background; events report progress; the cohort gains it', sharedOnly(), async () => {
  const outside = await get('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ slides: [fx.outside] }) });
  assert.equal(outside.status, 403);
  const viaLink = await get('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ slides: [`${fx.ownSlides}/escape.svs`] }) });
  assert.equal(viaLink.status, 403);
  const missing = await get('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ slides: [`${fx.ownSlides}/none.svs`] }) });
  assert.equal(missing.status, 404);
  assert.equal((await get('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"slides": "x"}' })).status, 400);

  const cohort = await fetch(server.url + '/api/events');
  const r = await get('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ slides: [fx.fresh] }) });
  assert.equal(r.status, 202);
  const job = (await r.json()) as { id: string };
  const es = await get(`/api/jobs/${job.id}/events`);
  assert.equal(es.headers.get('content-type'), 'text/event-stream');
  const stream = await es.text(); // ends when the job has finished
  const events = stream.split('\n\n').filter((b) => b.startsWith('event: job')).map((b) => JSON.parse(b.split('\ndata: ')[1]!) as { state: string; slides: Array<{ status: string; cropsDone: number }> });
  assert.ok(events.length >= 2);
  const last = events.at(-1)!;
  assert.equal(last.state, 'done');
  assert.equal(last.slides[0]!.status, 'ok');
  assert.ok(events.some((e) => e.slides[0]!.cropsDone > 0), 'progress events carry crops done');
  const reader = cohort.body!.getReader();
  let seen = '';
  while (!seen.includes('event: cohort')) seen += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  const state = (await (await get(`/api/jobs/${job.id}`)).json()) as { state: string };
  assert.equal(state.state, 'done');
  assert.ok(existsSync(`${fx.out}/fresh.focus.json`));
  const slides = (await (await get('/api/slides')).json()) as { slides: Array<{ id: string; status: string; viewable: boolean }> };
  const fresh = slides.slides.find((s) => s.id === 'fresh');
  assert.equal(fresh?.status, 'ok');
  assert.equal(fresh?.viewable, true);
  assert.equal((await get('/api/jobs/job-none')).status, 404);
});

test('GET /api/openapi.json describes every route', sharedOnly(), async () => {
  const doc = (await (await get('/api/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/api/slides', '/api/slides/{id}', '/api/slides/{id}/tiles', '/api/score', '/api/jobs', '/api/jobs/{id}', '/api/jobs/{id}/events', '/slides/{id}.dzi', '/slides/{id}_files/{level}/{col}_{row}.jpeg']) {
    assert.ok(doc.paths[p], `${p} undocumented`);
  }
});

test('access tokens: required off loopback, checked on every request, browser cookie after ?token=', sharedOnly(), async () => {
  assert.throws(() => resolveToken('0.0.0.0', undefined, {}), /needs|access token/);
  assert.throws(() => resolveToken('127.0.0.1', 'short', {}), /too short/);
  assert.equal(resolveToken('127.0.0.1', undefined, {}), null);
  assert.equal(resolveToken('0.0.0.0', undefined, { FOCUSLITE_TOKEN: 'x'.repeat(20) }), 'x'.repeat(20));
  assert.ok(tokensEqual('abc', 'abc') && !tokensEqual('abc', 'abd') && !tokensEqual('abc', 'abcd'));
  await assert.rejects(startServer({ ...base, host: '0.0.0.0', token: null }), /access token/);
  const token = 'a-test-token-of-some-length';
  const s = await startServer({ ...base, token });
  try {
    assert.equal((await fetch(`${s.url}/api/slides`)).status, 401);
    assert.equal((await fetch(`${s.url}/slides/cmu-1-small-region.dzi`)).status, 401);
    assert.equal((await fetch(`${s.url}/api/slides`, { headers: { Authorization: 'Bearer wrong-token-of-some-length' } })).status, 401);
    assert.equal((await fetch(`${s.url}/api/slides`, { headers: { Authorization: `Bearer ${token}` } })).status, 200);
    const page = await fetch(`${s.url}/?token=${token}`);
    assert.equal(page.status, 200);
    const cookie = page.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly; SameSite=Strict/);
    assert.equal((await fetch(`${s.url}/api/slides`, { headers: { Cookie: cookie.split(';')[0]! } })).status, 200);
  } finally {
    await s.close();
  }
});

test('a client that never finishes its request is cut off (request timeout) and the server keeps serving', sharedOnly(), async () => {
  const s = await startServer({ ...base, requestTimeoutMs: 1000 });
  try {
    const u = new URL(s.url);
    const got = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(u.port), u.hostname, () => sock.write('GET /api/slides HTTP/1.1\r\nHost: x\r\nX-Slow: '));
      let data = '';
      sock.on('data', (c) => (data += c.toString()));
      sock.on('close', () => resolve(data));
      sock.on('error', reject);
    });
    // closed by the server, never answered with the slides
    assert.ok(!got.includes('"slides"'), got);
    assert.equal((await fetch(`${s.url}/api/slides`)).status, 200);
  } finally {
    await s.close();
  }
});
