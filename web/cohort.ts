/** The cohort page: the folder's slides as a sortable, filterable table; in-page scoring; jobs. */
import { el, fmt, getJson, pct, verdict, verdictClass, type SlideEntry } from './api.js';
import { decodeFile } from './decode.js';
import type { ScoreReply } from './score-worker.js';

let slides: SlideEntry[] = [];
let sortKey: keyof SlideEntry = 'id';
let sortDir: 1 | -1 = 1;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

async function load(): Promise<void> {
  const doc = await getJson<{ folder: string; slideRoots: string[]; slides: SlideEntry[] }>('/api/slides');
  slides = doc.slides;
  $('roots').textContent = doc.slideRoots.join(', ') || 'none';
  $('folder').textContent = doc.folder;
  const fails = slides.filter((s) => s.pass === false).length, errors = slides.filter((s) => s.status === 'error').length;
  $('counts').textContent = `${slides.length} slides · ${fails} fail QC · ${errors} errors`;
  render();
}

function sortValue(s: SlideEntry, k: keyof SlideEntry): string | number {
  const v = k === 'pass' ? verdict(s) : s[k];
  if (v === null || v === undefined) return sortDir === 1 ? Infinity : -Infinity; // empty last
  return typeof v === 'number' ? v : String(v).toLowerCase();
}

function render(): void {
  const q = ($('filter') as HTMLInputElement).value.trim().toLowerCase();
  const want = ($('verdict') as HTMLSelectElement).value;
  const rows = slides.filter((s) => {
    const v = verdict(s);
    if (want === 'none' ? verdictClass(v) !== 'none' : want && v !== want) return false;
    return !q || [s.id, s.slide, s.status, s.error, v, s.format ?? ''].join(' ').toLowerCase().includes(q);
  }).sort((a, b) => {
    const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
    return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
  });
  const body = document.querySelector('#cohort tbody')!;
  body.replaceChildren(...rows.map((s) => {
    const v = verdict(s);
    const name = s.viewable ? el('a', { href: `/view/${encodeURIComponent(s.id)}` }, s.id) : el('span', { title: 'slide file not found under the slide folders' }, s.id);
    const thumb = !s.heatmap ? '' : el('img', { src: `/api/slides/${encodeURIComponent(s.id)}/heatmap.png`, alt: `heat map of ${s.id}`, loading: 'lazy' });
    const msg = s.error ? el('span', { class: 'err' }, s.error) : el('span', { class: 'muted' }, [s.reason, ...s.warnings].filter(Boolean).join('; '));
    return el('tr', { 'data-id': s.id },
      el('td', { class: 'thumb' }, thumb), el('td', {}, name), el('td', {}, s.status), el('td', {}, el('span', { class: `pill ${verdictClass(v)}` }, v)),
      el('td', { class: 'num' }, pct(s.blurShare)), el('td', { class: 'num' }, fmt(s.tissueMm2)), el('td', { class: 'num' }, s.crops === null ? '–' : String(s.crops)),
      el('td', { class: 'num' }, fmt(s.mean)), el('td', { class: 'num' }, fmt(s.p90)), el('td', {}, s.scanDate ?? '–'), el('td', { class: 'msg' }, msg));
  }));
  $('shown').textContent = rows.length === slides.length ? '' : `${rows.length} shown`;
  for (const th of document.querySelectorAll<HTMLElement>('#cohort th')) {
    th.removeAttribute('data-dir');
    if (th.dataset.key === sortKey) th.dataset.dir = sortDir === 1 ? 'asc' : 'desc';
  }
}

function setupTable(): void {
  for (const th of document.querySelectorAll<HTMLElement>('#cohort th')) {
    if (th.dataset.nosort !== undefined) continue;
    th.addEventListener('click', () => {
      const k = th.dataset.key as keyof SlideEntry;
      sortDir = sortKey === k ? (sortDir === 1 ? -1 : 1) : 1;
      sortKey = k;
      render();
    });
  }
  $('filter').addEventListener('input', render);
  $('verdict').addEventListener('change', render);
  // the table follows the folder: a finished job reloads it
  new EventSource('/api/events').addEventListener('cohort', () => void load());
}

// ---------------------------------------------------------------------------------------------
// in-page scoring

let model: Promise<{ label: string; weights: unknown }> | null = null;
const worker = new Worker('/assets/score-worker.js', { type: 'module' });

async function scoreDropped(file: File): Promise<void> {
  const status = $('score-status');
  status.textContent = `decoding ${file.name}…`;
  $('score-result').hidden = true;
  try {
    model ??= getJson('/api/model');
    const [img, m] = await Promise.all([decodeFile(file), model]);
    status.textContent = `scoring ${file.name} (${img.width}x${img.height}) in the browser…`;
    const reply = await new Promise<ScoreReply>((resolve) => {
      worker.onmessage = (ev: MessageEvent<ScoreReply>) => resolve(ev.data);
      worker.postMessage({ width: img.width, height: img.height, rgb: img.data, weights: m.weights, label: file.name });
    });
    if (!reply.ok) throw new Error(reply.error);
    status.textContent = '';
    showScore(file.name, img, reply, m.label);
  } catch (err) {
    status.textContent = `${file.name}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function showScore(name: string, img: { width: number; height: number; data: Uint8Array }, r: ScoreReply, label: string): void {
  const canvas = $('score-canvas') as HTMLCanvasElement;
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d')!;
  const rgba = new ImageData(img.width, img.height);
  for (let i = 0, o = 0; i < img.width * img.height * 3; i += 3, o += 4) {
    rgba.data[o] = img.data[i]!; rgba.data[o + 1] = img.data[i + 1]!; rgba.data[o + 2] = img.data[i + 2]!; rgba.data[o + 3] = 255;
  }
  ctx.putImageData(rgba, 0, 0);
  // the crop grid: each crop's stride cell coloured by its rank on the image (green sharp .. red blurry)
  const crops = r.crops!, lo = Math.min(...crops), hi = Math.max(...crops);
  const stride = r.cols! > 1 ? r.xs![1]! - r.xs![0]! : 235;
  const strideY = r.rows! > 1 ? r.ys![1]! - r.ys![0]! : 235;
  ctx.font = `${Math.max(12, Math.round(img.width / 40))}px sans-serif`;
  for (let row = 0; row < r.rows!; row++) {
    for (let col = 0; col < r.cols!; col++) {
      const v = crops[row * r.cols! + col]!;
      const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const x = r.xs![col]!, y = r.ys![row]!;
      ctx.fillStyle = `rgba(${Math.round(40 + 200 * t)},${Math.round(170 - 130 * t)},60,0.35)`;
      ctx.fillRect(x, y, Math.min(stride, 235), Math.min(strideY, 235));
      ctx.strokeStyle = 'rgba(255,255,255,0.7)';
      ctx.strokeRect(x + 0.5, y + 0.5, 235 - 1, 235 - 1);
      ctx.fillStyle = '#fff';
      ctx.fillText(v.toFixed(2), x + 6, y + 6 + Math.round(img.width / 40));
    }
  }
  const info = $('score-info');
  info.dataset.score = String(r.score);
  const kv = (k: string, v: string, id = ''): Node[] => [el('dt', {}, k), el('dd', id ? { id } : {}, v)];
  info.replaceChildren(
    ...kv('image', name), ...kv('score', r.score!.toFixed(6), 'page-score'), ...kv('crops', `${crops.length} (${r.rows}x${r.cols}, 235 px at stride ${stride})`),
    ...kv('model', `${label} (${r.kernels}-kernel, ${r.scale} scale)`), ...kv('kernel', r.kernel!), ...kv('time', `${r.ms!.toFixed(0)} ms`),
  );
  $('score-result').hidden = false;
}

function setupDrop(): void {
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void scoreDropped(f);
  });
  $('file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void scoreDropped(f);
  });
}

// ---------------------------------------------------------------------------------------------
// jobs

function setupJobs(): void {
  $('job-start').addEventListener('click', async () => {
    const paths = ($('job-slides') as HTMLTextAreaElement).value.split('\n').map((s) => s.trim()).filter(Boolean);
    const out = $('job-status');
    try {
      const job = await getJson<{ id: string }>('/api/jobs', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ slides: paths, force: ($('job-force') as HTMLInputElement).checked }),
      });
      const es = new EventSource(`/api/jobs/${encodeURIComponent(job.id)}/events`);
      es.addEventListener('job', (ev) => {
        const j = JSON.parse((ev as MessageEvent<string>).data) as { state: string; slides: Array<{ slide: string; status: string; cropsDone: number; cropsTotal: number; error: string }> };
        out.textContent = `${job.id}: ${j.state}\n` + j.slides.map((s) => `${s.status.padEnd(8)} ${s.slide}${s.cropsTotal ? ` ${s.cropsDone}/${s.cropsTotal} crops` : ''}${s.error ? ` — ${s.error}` : ''}`).join('\n');
        if (j.state === 'done' || j.state === 'failed') es.close();
      });
    } catch (err) {
      out.textContent = err instanceof Error ? err.message : String(err);
    }
  });
}

setupTable();
setupDrop();
setupJobs();
void load();
