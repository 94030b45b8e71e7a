/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * `focuslite serve` in a real browser: Debian's chromium, headless, driven by playwright-core (no
 * browser download; CHROMIUM overrides the path), over an output folder made by the real `slide`
 * command. Checks the cohort table, the viewer (Deep Zoom tiles arrive as images, overlays toggle,
 * hover and the blurriest-regions list work), and that a PNG dropped on the page is scored in the
 * browser to the CLI's score within 1e-6. Screenshots go to artifacts/browser/ (gitignored).
 * Run with `npm run test:browser`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { resolveModel, defaultModelPath } from '../src/io/model-source.js';
import { isOpenSlideAvailable } from '../src/io/slide/index.js';
import { scoreImage } from '../src/pipeline/score-image.js';
import { startServer, type RunningServer } from '../src/http/server.js';
import { projectRoot, sharedPath } from '../test/helpers.js';
import { makeServeFixture, runCli, type ServeFixture } from '../test/http/fixture.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const shots = join(projectRoot, 'artifacts', 'browser');
let fx: ServeFixture;
let server: RunningServer;
let browser: Browser;

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM}: chromium not found (apt-get install -y chromium, or set CHROMIUM)`);
  mkdirSync(shots, { recursive: true });
  fx = await makeServeFixture();
  const score = await resolveModel();
  const slide = await resolveModel(defaultModelPath('1k-zlevel'));
  server = await startServer({
    outDir: fx.out, slideRoots: fx.roots, port: 0, scoreModel: score.model, scoreModelLabel: score.label,
    jobs: { model: slide.model, modelLabel: slide.path, threshold: 3, threads: 1 },
  });
  // --no-sandbox: CI runs as root, where chromium's sandbox cannot start
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});
after(async () => {
  await browser?.close();
  await server?.close();
  fx?.cleanup();
});

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return { page, errors };
}

test('cohort page: the table lists every slide, sorts, filters, shows failures; heat maps load', async () => {
  const { page, errors } = await newPage();
  await page.goto(server.url + '/');
  await page.waitForSelector('#cohort tbody tr');
  const ids = await page.$$eval('#cohort tbody tr', (rows) => rows.map((r) => r.getAttribute('data-id')));
  for (const id of ['broken', 'cmu-1-small-region', 'kidney-48-5', 'tcga-cr-7395-01a-01-ts1']) assert.ok(ids.includes(id), `${id} not in ${ids}`);
  const brokenText = await page.textContent('#cohort tr[data-id="broken"]');
  assert.match(brokenText ?? '', /error/);
  assert.match(brokenText ?? '', /broken\.svs/);
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('td.thumb img')].every((i) => i.complete && i.naturalWidth > 0));
  // sort by crops, descending: the slide with most crops first
  await page.click('th[data-key=crops]');
  await page.click('th[data-key=crops]');
  const first = await page.$eval('#cohort tbody tr', (r) => r.getAttribute('data-id'));
  assert.ok(first === 'tcga-cr-7395-01a-01-ts1' || first === 'cmu-1-small-region' || first === 'escape' || first === 'elsewhere', `first by crops: ${first}`);
  await page.fill('#filter', 'kidney');
  assert.deepEqual(await page.$$eval('#cohort tbody tr', (rows) => rows.map((r) => r.getAttribute('data-id'))), ['kidney-48-5']);
  await page.fill('#filter', '');
  await page.selectOption('#verdict', 'error');
  const errs = await page.$$eval('#cohort tbody tr', (rows) => rows.map((r) => r.getAttribute('data-id')));
  assert.ok(errs.includes('broken') && !errs.includes('cmu-1-small-region'));
  await page.selectOption('#verdict', '');
  await page.screenshot({ path: join(shots, 'cohort.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a job started from the cohort page scores a slide; the table gains it when the job finishes', async () => {
  const { page, errors } = await newPage();
  await page.goto(server.url + '/');
  await page.waitForSelector('#cohort tbody tr');
  assert.equal(await page.$('#cohort tr[data-id="fresh"]'), null);
  await page.click('#jobs summary');
  await page.fill('#job-slides', fx.fresh);
  await page.click('#job-start');
  await page.waitForFunction(() => /: done/.test(document.getElementById('job-status')!.textContent ?? ''), undefined, { timeout: 120_000 });
  // the page reloads the table on the server's `cohort` event, without a reload of the page
  await page.waitForSelector('#cohort tr[data-id="fresh"] a', { timeout: 30_000 });
  assert.match((await page.textContent('#job-status')) ?? '', /ok\s+.*fresh\.tif/);
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('td.thumb img')].every((i) => i.complete && i.naturalWidth > 0));
  assert.ok(await page.$('#cohort tr[data-id="fresh"] td.thumb img'), 'the new slide has its heat map');
  assert.equal(await page.isVisible('#score-result'), false, 'no empty score panel before an image is dropped');
  await page.screenshot({ path: join(shots, 'cohort-after-job.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a PNG dropped on the page is scored in the browser (core + WebAssembly) to the CLI score within 1e-6', async () => {
  const png = sharedPath('data', 'tcga-focus', 'out-of-focus_patch_i_9651_j_81514.png');
  const { page, errors } = await newPage();
  await page.goto(server.url + '/');
  await page.waitForSelector('#drop');
  const b64 = readFileSync(png).toString('base64');
  // a real drop event carrying the file, as a user dragging it from the desktop
  await page.evaluate(async (data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'patch.png', { type: 'image/png' }));
    document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, b64);
  await page.waitForSelector('#page-score', { timeout: 60_000 });
  const got = Number(await page.getAttribute('#score-info', 'data-score'));
  const kernel = await page.textContent('#score-info');
  const cli = runCli(['score', png, '--format', 'json']);
  assert.equal(cli.code, 0, cli.stderr);
  const cliScore = (JSON.parse(cli.stdout) as Array<{ score: number }>)[0]!.score;
  assert.ok(Math.abs(got - cliScore) <= 1e-6, `browser ${got} vs CLI ${cliScore}`);
  // the CLI prints 6 decimals; the library's unrounded score agrees exactly (same kernel, same pixels)
  const lib = await scoreImage((await resolveModel()).model, png);
  assert.ok(Math.abs(got - lib.score) <= 1e-9, `browser ${got} vs library ${lib.score}`);
  assert.match(kernel ?? '', /wasm-simd/);
  assert.match(kernel ?? '', /focuslite-1k-zlevel\.json/);
  await page.screenshot({ path: join(shots, 'score-in-page.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

for (const format of ['tiff', 'jpeg'] as const) {
  test(`a ${format.toUpperCase()} chosen on the page is scored in the browser to the CLI score within 1e-6`, async () => {
    const file = join(fx.dir, `patch.${format}`);
    const src = sharp(sharedPath('data', 'tcga-focus', 'in-focus_patch_i_32381_j_37784.png')).removeAlpha();
    await (format === 'tiff' ? src.tiff({ compression: 'lzw' }) : src.jpeg({ quality: 90 })).toFile(file);
    const { page, errors } = await newPage();
    await page.goto(server.url + '/');
    await page.setInputFiles('#file', file);
    await page.waitForSelector('#page-score', { timeout: 60_000 });
    const got = Number(await page.getAttribute('#score-info', 'data-score'));
    const cli = runCli(['score', file, '--format', 'json']);
    assert.equal(cli.code, 0, cli.stderr);
    const cliScore = (JSON.parse(cli.stdout) as Array<{ score: number }>)[0]!.score;
    assert.ok(Math.abs(got - cliScore) <= 1e-6, `browser ${got} vs CLI ${cliScore}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
}

async function openViewer(id: string): Promise<{ page: Page; errors: string[]; tiles: Array<{ status: number; type: string }> }> {
  const { page, errors } = await newPage();
  const tiles: Array<{ status: number; type: string }> = [];
  page.on('response', (r) => {
    if (/\/slides\/[^/]+_files\/\d+\/\d+_\d+\.jpeg$/.test(new URL(r.url()).pathname)) tiles.push({ status: r.status(), type: r.headers()['content-type'] ?? '' });
  });
  await page.goto(`${server.url}/view/${encodeURIComponent(id)}`);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
  await page.waitForFunction(() => {
    const v = (window as unknown as { viewer: { world: { getItemAt(i: number): { getFullyLoaded(): boolean } | undefined } } }).viewer;
    return v.world.getItemAt(0)?.getFullyLoaded() === true;
  }, undefined, { timeout: 60_000 });
  return { page, errors, tiles };
}

test('viewer: Deep Zoom tiles load as images, the focus overlay and tissue mask toggle, hover and top-k work', async () => {
  const { page, errors, tiles } = await openViewer('cmu-1-small-region');
  assert.ok(tiles.length >= 4, `only ${tiles.length} tile responses`);
  assert.ok(tiles.every((t) => t.status === 200 && t.type === 'image/jpeg'), JSON.stringify(tiles.slice(0, 5)));
  const drawn = await page.$$eval('#osd canvas', (cs) => cs.length);
  assert.ok(drawn >= 1);
  const visible = (sel: string) => page.$eval(sel, (e) => getComputedStyle(e).display !== 'none' && (e as HTMLElement).offsetWidth > 0);
  assert.equal(await visible('#focus-layer'), true);
  assert.equal(await visible('#tissue-layer'), false);
  await page.screenshot({ path: join(shots, 'viewer-overlay.png') });
  // the overlay covers the slide: its box matches the image's box on screen
  const box = await page.$eval('#focus-layer', (e) => e.getBoundingClientRect().toJSON());
  const img = await page.evaluate(() => {
    const v = (window as unknown as { viewer: any }).viewer;
    const item = v.world.getItemAt(0);
    const r = v.viewport.viewportToViewerElementRectangle(item.imageToViewportRectangle(0, 0, item.getContentSize().x, item.getContentSize().y));
    const osd = document.getElementById('osd')!.getBoundingClientRect();
    return { x: r.x + osd.x, y: r.y + osd.y, width: r.width, height: r.height };
  });
  for (const k of ['x', 'y', 'width', 'height'] as const) assert.ok(Math.abs(box[k] - img[k]) < 2, `overlay ${k} ${box[k]} vs image ${img[k]}`);
  await page.uncheck('#show-focus');
  assert.equal(await visible('#focus-layer'), false);
  await page.check('#show-tissue');
  assert.equal(await visible('#tissue-layer'), true);
  await page.screenshot({ path: join(shots, 'viewer-tissue.png') });
  await page.uncheck('#show-tissue');
  await page.check('#show-focus');
  // hover over the middle of the tissue: a tile's score appears
  const items = await page.$$('#topk li');
  assert.equal(items.length, 10);
  const zoomBefore = await page.evaluate(() => (window as unknown as { viewer: any }).viewer.viewport.getZoom());
  await items[0]!.click();
  await page.waitForFunction((z) => (window as unknown as { viewer: any }).viewer.viewport.getZoom() > z * 2, zoomBefore);
  const pinned = Number(await page.getAttribute('#hover', 'data-score'));
  const top = Number((await items[0]!.textContent())!.split(' ')[0]);
  assert.ok(Math.abs(pinned - top) < 1e-3);
  const osd = (await page.$('#osd'))!;
  const ob = (await osd.boundingBox())!;
  await page.mouse.move(ob.x + ob.width / 2, ob.y + ob.height / 2);
  await page.waitForFunction(() => /score \d/.test(document.getElementById('hover')!.textContent ?? ''));
  await page.waitForFunction(() => (window as unknown as { viewer: any }).viewer.world.getItemAt(0).getFullyLoaded() === true);
  await page.screenshot({ path: join(shots, 'viewer-zoomed.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('viewer on the JPEG 2000 SVS read through OpenSlide', { skip: !isOpenSlideAvailable() && 'OpenSlide not installed' }, async () => {
  const { page, errors, tiles } = await openViewer('tcga-cr-7395-01a-01-ts1');
  assert.ok(tiles.length >= 4 && tiles.every((t) => t.status === 200 && t.type === 'image/jpeg'));
  await page.screenshot({ path: join(shots, 'viewer-openslide.png') });
  assert.deepEqual(errors, []);
  await page.close();
});
