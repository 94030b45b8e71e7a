/**
 * `npm run bench:serve`: a small, bounded load test of `focuslite serve` on loopback (autocannon).
 * The server runs as its own process (`focuslite serve`, as a user starts it) over an output folder
 * made by the real `slide` command, plus BENCH_SERVE_SLIDES copies of cmu-1-small-region.svs
 * (default 24), so tiles are served from many slides. Three runs of BENCH_SERVE_SECONDS (10) each:
 *  1. tiles from the cache: 8 connections over the same 16 full-resolution tiles;
 *  2. tiles made on demand: 8 connections cycling over every full-resolution tile of every slide
 *     (more distinct tiles than the 16 MB cache holds, so most requests read, resample and encode);
 *  3. POST /api/score with the 1025x1025 TCGA@Focus PNG, 2 connections.
 * Prints requests/s, latency p50/p99 and errors per run, and the server's resident memory: peak
 * (VmHWM) and current after each run, from /proc.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { availableParallelism, loadavg } from 'node:os';
import { dziLevelSize, dziMaxLevel, DZI_TILE_SIZE } from '../src/http/dzi.js';
import { projectRoot, sharedPath } from '../test/helpers.js';
import { makeServeFixture } from '../test/http/fixture.js';

interface Result { requests: { average: number }; latency: { p50: number; p99: number; average: number }; errors: number; non2xx: number; timeouts: number; '2xx': number }
type Autocannon = (opts: Record<string, unknown>) => Promise<Result>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const COPIES = Number(process.env.BENCH_SERVE_SLIDES ?? 24);
const SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);

function memory(pid: number): { rssMb: number; peakMb: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)![1]) / 1024;
  return { rssMb: Math.round(kb('VmRSS')), peakMb: Math.round(kb('VmHWM')) };
}

async function main(): Promise<void> {
  const fx = await makeServeFixture();
  const many = join(fx.dir, 'many');
  mkdirSync(many);
  const cmuDoc = JSON.parse(readFileSync(join(fx.out, 'cmu-1-small-region.focus.json'), 'utf8'));
  const ids: string[] = [];
  for (let i = 0; i < COPIES; i++) {
    const id = `copy-${String(i).padStart(2, '0')}`;
    copyFileSync(sharedPath('data', 'slides', 'cmu-1-small-region.svs'), join(many, `${id}.svs`));
    writeFileSync(join(fx.out, `${id}.focus.json`), JSON.stringify({ ...cmuDoc, name: id, slide: join(many, `${id}.svs`) }));
    ids.push(id);
  }
  const child = spawn(process.execPath, [join(projectRoot, 'bin', 'focuslite.js'), 'serve', fx.out, '--slides', ...fx.roots, many, '--port', '0', '--cache-mb', '16', '-t', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /at (http:\/\/[^/\s]+)\//.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  try {
    const W = 2220, H = 2967, max = dziMaxLevel(W, H);
    const { width, height } = dziLevelSize({ width: W, height: H, tileSize: DZI_TILE_SIZE, overlap: 1 }, max);
    const cols = Math.ceil(width / DZI_TILE_SIZE), rows = Math.ceil(height / DZI_TILE_SIZE);
    const all: string[] = [];
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) for (const id of ids) all.push(`/slides/${id}_files/${max}/${c}_${r}.jpeg`);
    // interleave slides so consecutive requests hit different files
    const hot = all.filter((_, i) => i % ids.length === 0).slice(0, 16);
    const cycle = (paths: string[]) => { let i = 0; return (req: { path: string }) => { req.path = paths[i++ % paths.length]!; return req; }; };
    const report = (name: string, r: Result) => {
      const m = memory(child.pid!);
      console.log(`${name.padEnd(34)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${String(r.latency.p50).padStart(4)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  ok ${r['2xx']}  non-2xx ${r.non2xx}  errors ${r.errors}  server RSS ${m.rssMb} MB (peak ${m.peakMb} MB)`);
    };
    console.log(`focuslite serve load test: ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ids.length + 4} slides (${all.length} distinct full-resolution tiles of the copies), tile cache 16 MB, ${SECONDS} s per run`);
    for (const p of hot) await fetch(url + p).then((r) => r.arrayBuffer()); // warm the cache
    report('tiles, cached (16 tiles, 8 conn)', await autocannon({ url, connections: 8, duration: SECONDS, requests: [{ method: 'GET', path: hot[0], setupRequest: cycle(hot) }] }));
    report(`tiles, on demand (${ids.length} slides, 8 conn)`, await autocannon({ url, connections: 8, duration: SECONDS, requests: [{ method: 'GET', path: all[0], setupRequest: cycle(all) }] }));
    const png = readFileSync(sharedPath('data', 'tcga-focus', 'out-of-focus_patch_i_9651_j_81514.png'));
    report('POST /api/score 1025² PNG (2 conn)', await autocannon({ url: url + '/api/score', method: 'POST', headers: { 'content-type': 'image/png' }, body: png, connections: 2, duration: SECONDS }));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fx.cleanup();
  }
}

await main();
