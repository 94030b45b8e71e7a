/**
 * `focuslite serve`: the HTTP face over one output folder of `focuslite slide` (fastify; why
 * fastify is in the README). Every file the server reads is found through the cohort index or
 * a fixed asset list and then checked against the roots (roots.ts): no request path is ever
 * joined onto a folder, so `..`, encoded `..` and links out of the roots cannot reach a file.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FocusLiteModel } from '../core/model.js';
import { modelToJson } from '../core/weights.js';
import { probeImage } from '../io/decode.js';
import { outputPaths } from '../pipeline/slide-batch.js';
import { toRecord } from '../pipeline/score-output.js';
import { scoreFiles, WHOLE_IMAGE_PIXELS } from '../pipeline/score-files.js';
import { ByteBudget } from '../runtime/byte-budget.js';
import { createComputeEngine, type ComputeEngine } from '../runtime/compute-engine.js';
import { isLoopback, requestToken, TOKEN_COOKIE, tokensEqual } from './auth.js';
import { CohortIndex, cohortCsv, type CohortEntry } from './cohort.js';
import { dziXml } from './dzi.js';
import { JobRunner, type JobSettings } from './jobs.js';
import { openApiDocument } from './openapi.js';
import { containedPath, makeRoot, type Root } from './roots.js';
import { ByteLru } from './lru.js';
import { HttpError, SlideTiles, type SlideTilesOptions } from './slide-tiles.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
import { overlayDoc, parseTilesCsv } from './tile-scores.js';

export interface ServeOptions {
  outDir: string;
  /** folders slides may be read from; default: the folders of the slides the output folder names */
  slideRoots?: readonly string[];
  host?: string;
  port?: number;
  /** required when set (resolveToken decides) */
  token?: string | null;
  /** the model `POST /api/score` and the page score with */
  scoreModel: FocusLiteModel;
  scoreModelLabel: string;
  /** batch settings of `POST /api/jobs` (outDir is taken from above) */
  jobs: Omit<JobSettings, 'outDir'>;
  /** largest accepted upload (bytes), default 32 MiB */
  maxUploadBytes?: number;
  /** largest image `POST /api/score` decodes (pixels), default 4096² */
  maxScorePixels?: number;
  tiles?: SlideTilesOptions;
  /** threads of the scoring engine of `POST /api/score`, default 1 */
  scoreThreads?: number;
  /** ms to receive a whole request, default 30 s */
  requestTimeoutMs?: number;
  version?: string;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly slideRoots: readonly Root[];
  readonly jobs: JobRunner;
  readonly tiles: SlideTiles;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** dist/web: the pages and the esbuild bundles (scripts/build-web.mjs). */
export const WEB_DIR = resolve(here, '../../web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm',
};

/** name -> file, for the files directly in `dir` (the only static files served: no listings, no subpaths). */
function assetMap(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (TYPES[extname(n)] && statSync(p).isFile()) out.set(n, p);
  }
  return out;
}

function openSeadragonDir(): string {
  const main = createRequire(import.meta.url).resolve('openseadragon');
  return dirname(main);
}

/** Where a slide recorded in focus.json is: as written (absolute, or from here), else by name under a root. */
export function slideCandidates(recorded: string, roots: readonly Root[]): string[] {
  if (!recorded) return [];
  if (isAbsolute(recorded)) return [recorded, ...roots.map((r) => join(r.real, basename(recorded)))];
  return [resolve(recorded), ...roots.flatMap((r) => [resolve(r.real, recorded), join(r.real, basename(recorded))])];
}

/** The folders slides are read from when --slides is not given: where the cohort's slides are. */
export function derivedSlideRoots(entries: readonly CohortEntry[]): string[] {
  const dirs = new Set<string>();
  for (const e of entries) {
    for (const c of slideCandidates(e.slide, [])) {
      try {
        const st = statSync(c);
        dirs.add(st.isDirectory() ? c : dirname(c));
        break;
      } catch {
        // not there
      }
    }
  }
  return [...dirs].sort();
}

const jsonError = (reply: FastifyReply, status: number, message: string) => reply.code(status).type('application/json').send({ error: message, status });

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? null;
  if (token === null && !isLoopback(host)) throw new Error(`--host ${host} needs an access token (--token or FOCUSLITE_TOKEN)`);
  const outRoot = makeRoot(opts.outDir);
  const cohort = new CohortIndex(outRoot.real);
  const slideRoots = (opts.slideRoots && opts.slideRoots.length > 0 ? [...opts.slideRoots] : derivedSlideRoots(cohort.entries())).map(makeRoot);
  const maxUpload = opts.maxUploadBytes ?? 32 * 1024 * 1024;
  const maxScorePixels = opts.maxScorePixels ?? WHOLE_IMAGE_PIXELS;
  const tiles = new SlideTiles(opts.tiles);
  const jobs = new JobRunner({ ...opts.jobs, outDir: outRoot.real });
  const scoreEngine: ComputeEngine = createComputeEngine(opts.scoreModel, opts.scoreThreads ?? 1);
  // decoded pixels of uploads in flight: two of the largest images at once
  const scoreBudget = new ByteBudget(2 * 3 * maxScorePixels);
  const assets = assetMap(WEB_DIR);
  const osdDir = openSeadragonDir();
  const vendor = assetMap(osdDir);
  const osdImages = assetMap(join(osdDir, 'images'));
  const version = opts.version ?? '0';
  const modelDoc = JSON.stringify({ label: opts.scoreModelLabel, weights: modelToJson(opts.scoreModel) });
  // overlay documents, gzipped (a large slide has 10^5 tiles: tens of MB of JSON, a tenth gzipped), bounded by bytes
  const overlayCache = new ByteLru<{ stamp: number; gz: Buffer }>(32 * 1024 * 1024, (v) => v.gz.length);
  const cohortListeners = new Set<FastifyReply>();

  const requestTimeout = opts.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // A request (headers and body) must arrive within requestTimeout, checked every second, so a
    // client that sends slowly cannot hold a connection; idle sockets close after it too
    // (event streams lift that for their own socket).
    serverFactory: (handler) => {
      const server = createHttpServer({ connectionsCheckingInterval: 1000, requestTimeout, headersTimeout: Math.min(requestTimeout, 10_000), keepAliveTimeout: 5_000 }, handler);
      server.timeout = requestTimeout;
      return server;
    },
    // the ids in paths are looked up, never used as paths; long URLs are refused early
    routerOptions: { maxParamLength: 1000 },
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Content-Security-Policy', "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    if (token === null) return;
    const given = requestToken(req.headers, req.query);
    if (given === null || !tokensEqual(given, token)) return jsonError(reply, 401, 'access token required (Authorization: Bearer <token>, or ?token= in the browser)');
    if (typeof (req.query as { token?: unknown }).token === 'string') {
      reply.header('Set-Cookie', `${TOKEN_COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err instanceof HttpError ? err.status : err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const msg = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `upload larger than the ${maxUpload}-byte limit` : (err.message || 'internal error').split('\n')[0]!;
    return jsonError(reply, status, msg);
  });
  app.setNotFoundHandler((_req, reply) => jsonError(reply, 404, 'not found'));

  app.addContentTypeParser(['application/octet-stream', 'image/png', 'image/jpeg', 'image/tiff', 'image/webp'], { parseAs: 'buffer', bodyLimit: maxUpload }, (_req, body, done) => done(null, body));

  const send = (reply: FastifyReply, file: string, type: string, cache = 'no-cache') => readFile(file).then((buf) => reply.type(type).header('Cache-Control', cache).send(buf));
  const page = (name: string) => async (_req: FastifyRequest, reply: FastifyReply) => {
    const f = assets.get(name);
    if (!f) return jsonError(reply, 500, `page ${name} missing: run npm run build`);
    return send(reply, f, TYPES['.html']!);
  };
  app.get('/', page('index.html'));
  app.get('/view/:id', page('viewer.html'));
  app.get('/assets/:file', async (req, reply) => {
    const f = assets.get((req.params as { file: string }).file);
    return f ? send(reply, f, TYPES[extname(f)]!) : jsonError(reply, 404, 'not found');
  });
  app.get('/vendor/openseadragon/:file', async (req, reply) => {
    const f = vendor.get((req.params as { file: string }).file);
    return f ? send(reply, f, TYPES[extname(f)]!, 'max-age=86400') : jsonError(reply, 404, 'not found');
  });
  app.get('/vendor/openseadragon/images/:file', async (req, reply) => {
    const f = osdImages.get((req.params as { file: string }).file);
    return f ? send(reply, f, TYPES[extname(f)]!, 'max-age=86400') : jsonError(reply, 404, 'not found');
  });

  /** The cohort entry of an id, or a 404. */
  const entryOf = (id: string): CohortEntry => {
    const e = cohort.get(id);
    if (!e) throw new HttpError(404, `no slide ${JSON.stringify(id)} in this folder`);
    return e;
  };
  /** An output file of a slide, checked to lie in the output folder. */
  const outputFile = (id: string, kind: 'heatmap' | 'mask' | 'tilesCsv' | 'focusJson'): string => {
    entryOf(id);
    const c = containedPath(outputPaths(outRoot.real, id)[kind], [outRoot]);
    if (!c.ok) throw new HttpError(c.status, `${id}: ${kind === 'focusJson' ? 'focus.json' : kind} ${c.reason}`);
    return c.real;
  };
  /** The slide file of an id: found and inside a slide root (403 when it lies outside). */
  const slideFile = (id: string): string => {
    const e = entryOf(id);
    let outside = false;
    for (const cand of slideCandidates(e.slide, slideRoots)) {
      const c = containedPath(cand, slideRoots);
      if (c.ok) return c.real;
      if (c.status === 403) outside = true;
    }
    if (outside) throw new HttpError(403, `${id}: the slide lies outside the slide folders (serve --slides <dir>)`);
    throw new HttpError(404, `${id}: slide file ${e.slide} not found (serve --slides <dir> names where the slides are)`);
  };
  const viewable = (id: string): boolean => {
    try {
      slideFile(id);
      return true;
    } catch {
      return false;
    }
  };

  const hasOutput = (id: string, kind: 'heatmap' | 'mask' | 'tilesCsv'): boolean => containedPath(outputPaths(outRoot.real, id)[kind], [outRoot]).ok;
  app.get('/api/slides', async () => ({
    folder: outRoot.given,
    slideRoots: slideRoots.map((r) => r.real),
    slides: cohort.entries().map((e) => ({ ...e, viewable: e.status !== 'error' && viewable(e.id), heatmap: hasOutput(e.id, 'heatmap') })),
  }));
  app.get('/api/slides.csv', async (_req, reply) => reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="cohort.csv"').send(cohortCsv(cohort.entries())));
  app.get('/api/slides/:id', async (req, reply) => {
    const f = outputFile((req.params as { id: string }).id, 'focusJson');
    return reply.type('application/json').send(await readFile(f));
  });
  app.get('/api/slides/:id/tiles', async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const csv = outputFile(id, 'tilesCsv');
    const stamp = statSync(csv).mtimeMs;
    let hit = overlayCache.get(id);
    if (!hit || hit.stamp !== stamp) {
      const focus = JSON.parse(await readFile(outputFile(id, 'focusJson'), 'utf8'));
      const doc = JSON.stringify(overlayDoc(parseTilesCsv(await readFile(csv, 'utf8')), focus));
      hit = { stamp, gz: await gzipAsync(doc, { level: 6 }) };
      overlayCache.set(id, hit);
    }
    reply.type('application/json').header('Vary', 'Accept-Encoding');
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('Content-Encoding', 'gzip').send(hit.gz);
    return reply.send(await gunzipAsync(hit.gz));
  });
  for (const kind of ['heatmap', 'mask'] as const) {
    app.get(`/api/slides/:id/${kind}.png`, async (req, reply) => send(reply, outputFile((req.params as { id: string }).id, kind), 'image/png'));
  }

  app.get('/slides/:file', async (req, reply) => {
    const file = (req.params as { file: string }).file;
    if (!file.endsWith('.dzi')) return jsonError(reply, 404, 'not found');
    const id = file.slice(0, -4);
    const spec = await tiles.spec(slideFile(id));
    return reply.type('application/xml').send(dziXml(spec));
  });
  app.get('/slides/:dir/:level/:tile', async (req, reply) => {
    const { dir, level, tile } = req.params as { dir: string; level: string; tile: string };
    const m = /^(\d{1,9})_(\d{1,9})\.jpe?g$/.exec(tile);
    if (!dir.endsWith('_files') || !/^\d{1,3}$/.test(level) || !m) return jsonError(reply, 404, 'not a Deep Zoom tile path');
    const id = dir.slice(0, -'_files'.length);
    const path = slideFile(id);
    const buf = await tiles.tile(id, path, Number(level), Number(m[1]), Number(m[2]));
    return reply.type('image/jpeg').header('Cache-Control', 'max-age=3600').send(buf);
  });

  app.get('/api/model', async (_req, reply) => reply.type('application/json').send(modelDoc));

  app.post('/api/score', async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body) || body.length === 0) return jsonError(reply, 415, 'send the image bytes as the body (Content-Type image/png, image/jpeg, image/tiff, image/webp or application/octet-stream)');
    const q = req.query as { grid?: string; name?: string };
    const name = typeof q.name === 'string' && q.name !== '' ? basename(q.name).slice(0, 200) : 'upload';
    // the header is checked before anything is decoded or written
    const { width, height } = await probeImage(body, name).catch((e: unknown) => { throw new HttpError(422, e instanceof Error ? e.message : String(e)); });
    if (width * height > maxScorePixels) return jsonError(reply, 413, `${name}: image is ${width}x${height}, more than the ${maxScorePixels}-pixel limit of this server`);
    const bytes = width * height * 3;
    await scoreBudget.acquire(bytes);
    // scored by the same code as `focuslite score` (resolution tags, limits, errors), from a private temporary file
    const dir = await mkdtemp(join(tmpdir(), 'focuslite-upload-'));
    try {
      const file = join(dir, 'upload' + (extname(name) || '.img'));
      await writeFile(file, body);
      for await (const r of scoreFiles([file], opts.scoreModel, { engine: scoreEngine, threads: 1, maxPixels: maxScorePixels })) {
        if (!r.ok) throw new HttpError(422, r.error.split(file).join(name));
        return [toRecord({ ...r, file: name }, q.grid === '1' || q.grid === 'true', { label: opts.scoreModelLabel, scale: opts.scoreModel.scale })];
      }
      throw new HttpError(500, 'no result');
    } finally {
      scoreBudget.release(bytes);
      await rm(dir, { recursive: true, force: true });
    }
  });

  app.post('/api/jobs', async (req, reply) => {
    const body = req.body as { slides?: unknown; force?: unknown } | undefined;
    if (!body || !Array.isArray(body.slides) || body.slides.length === 0 || !body.slides.every((s) => typeof s === 'string' && s.length > 0) || body.slides.length > 1000) {
      return jsonError(reply, 400, 'expected JSON {"slides": ["<path under a slide folder>", ...]} (1 to 1000 paths)');
    }
    const paths: string[] = [];
    for (const s of body.slides as string[]) {
      const c = containedPath(isAbsolute(s) ? s : resolve(slideRoots[0]?.real ?? '/nonexistent', s), slideRoots);
      if (!c.ok) return jsonError(reply, c.status, `${s}: ${c.reason}${c.status === 403 ? ' (jobs read slides under the slide folders only)' : ''}`);
      paths.push(c.real);
    }
    const job = jobs.submit(paths, body.force === true);
    return reply.code(202).send(job);
  });
  app.get('/api/jobs', async () => ({ jobs: jobs.list() }));
  app.get('/api/jobs/:id', async (req, reply) => {
    const job = jobs.get((req.params as { id: string }).id);
    return job ? job : jsonError(reply, 404, 'no such job');
  });

  const sse = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    req.raw.socket.setTimeout(0); // a stream may be quiet for long; it is closed by the client or at shutdown
    reply.raw.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Content-Type-Options': 'nosniff' });
    reply.raw.write(': focuslite\n\n');
    // a comment now and then keeps proxies from closing a quiet stream
    const beat = setInterval(() => reply.raw.write(': \n\n'), 15_000);
    beat.unref();
    reply.raw.on('close', () => clearInterval(beat));
  };
  const event = (reply: FastifyReply, name: string, data: unknown): void => void reply.raw.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  app.get('/api/jobs/:id/events', async (req, reply) => {
    const job = jobs.get((req.params as { id: string }).id);
    if (!job) return jsonError(reply, 404, 'no such job');
    sse(req, reply);
    event(reply, 'job', job);
    if (job.state === 'done' || job.state === 'failed') return void reply.raw.end();
    const onChange = (j: typeof job) => j.id === job.id && event(reply, 'job', j);
    const onEnd = (j: typeof job) => {
      if (j.id !== job.id) return;
      cleanup();
      reply.raw.end();
    };
    const cleanup = () => {
      jobs.off('change', onChange).off('progress', onChange).off('finished', onEnd);
    };
    jobs.on('change', onChange).on('progress', onChange).on('finished', onEnd);
    req.raw.on('close', cleanup);
  });
  app.get('/api/events', async (req, reply) => {
    sse(req, reply);
    cohortListeners.add(reply);
    req.raw.on('close', () => cohortListeners.delete(reply));
  });
  jobs.on('finished', (job) => {
    cohort.invalidate();
    for (const s of job.slides) if (s.name) tiles.forget(s.name);
    for (const l of cohortListeners) event(l, 'cohort', { job: job.id, state: job.state });
  });

  app.get('/api/openapi.json', async () => openApiDocument(version));

  try {
    await app.listen({ host, port: opts.port ?? 8080 });
  } catch (err) {
    await scoreEngine.close();
    const e = err as NodeJS.ErrnoException;
    throw new Error(e.code === 'EADDRINUSE' ? `port ${opts.port ?? 8080} on ${host} is in use (choose another with --port)` : e.message);
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port ?? 8080;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    app, url, slideRoots, jobs, tiles,
    async close() {
      for (const l of cohortListeners) l.raw.end();
      cohortListeners.clear();
      await app.close();
      await jobs.idle();
      await tiles.close();
      await scoreEngine.close();
    },
  };
}

/** package.json's version, for the OpenAPI document. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(resolve(here, '../../../package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0';
  }
}
