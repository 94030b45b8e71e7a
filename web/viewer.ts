/**
 * The slide viewer: OpenSeadragon over the server's Deep Zoom tiles, with the focus map drawn as
 * an overlay in level-0 pixels (each map cell in its heat-map colour), the tissue mask as a second
 * layer, the score of the tile under the pointer, and the blurriest tiles as a list that pans there.
 */
import { el, fmt, getJson, pct, verdict, verdictClass, type SlideEntry } from './api.js';

declare const OpenSeadragon: any; // the global of /vendor/openseadragon/openseadragon.min.js

interface Tile { x: number; y: number; w: number; h: number; score: number; tissue: number; cell: { x: number; y: number; w: number; h: number; tissue: number } | null; rgb: [number, number, number]; blurred: boolean }
interface Overlay { threshold: number | null; scale: string; range: { lo: number; hi: number; legend: string }; bar: Array<[number, number, number]>; tiles: Tile[] }
interface Focus { dimensions?: { width: number; height: number }; maps?: { thumbnail?: { width: number; height: number } }; model?: { file?: string } }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const id = decodeURIComponent(location.pathname.replace(/^\/view\//, ''));
const enc = encodeURIComponent(id);
/** Longer side of the overlay canvases: cells stay sharp when zoomed in without costing much memory. */
const OVERLAY_MAX = 4096;
const TOP_K = 10;

/** Area of a tile on the map: its cell (non-overlapping), else the crop itself. */
const areaOf = (t: Tile) => t.cell ?? t;

/** Lookup of the tile whose map cell holds a level-0 point (cells form a grid of column and row bounds). */
function cellLookup(tiles: Tile[]): (x: number, y: number) => Tile | null {
  const byKey = new Map<string, Tile>();
  const xs = new Set<number>(), ys = new Set<number>();
  for (const t of tiles) {
    const a = areaOf(t);
    byKey.set(`${a.x},${a.y}`, t);
    xs.add(a.x);
    ys.add(a.y);
  }
  const sx = [...xs].sort((a, b) => a - b), sy = [...ys].sort((a, b) => a - b);
  const floorIn = (arr: number[], v: number): number | null => {
    let lo = 0, hi = arr.length - 1, best: number | null = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (arr[mid]! <= v) { best = arr[mid]!; lo = mid + 1; } else hi = mid - 1;
    }
    return best;
  };
  return (x, y) => {
    const cx = floorIn(sx, x), cy = floorIn(sy, y);
    if (cx === null || cy === null) return null;
    const t = byKey.get(`${cx},${cy}`);
    if (!t) return null;
    const a = areaOf(t);
    return x < a.x + a.w && y < a.y + a.h ? t : null;
  };
}

/** OpenSeadragon positions (and re-shows) the overlay element; the layer inside it is what toggles. */
function wrap(layer: HTMLCanvasElement): HTMLDivElement {
  layer.style.width = '100%';
  layer.style.height = '100%';
  layer.style.display = 'block';
  return el('div', { class: 'overlay-wrap' }, layer);
}

function focusCanvas(tiles: Tile[], W: number, H: number): HTMLCanvasElement {
  const k = Math.min(1, OVERLAY_MAX / Math.max(W, H));
  const c = el('canvas', { class: 'overlay-canvas', id: 'focus-layer' });
  c.width = Math.max(1, Math.round(W * k));
  c.height = Math.max(1, Math.round(H * k));
  const ctx = c.getContext('2d')!;
  for (const t of tiles) {
    const a = areaOf(t);
    ctx.fillStyle = `rgb(${t.rgb[0]},${t.rgb[1]},${t.rgb[2]})`;
    // cell edges at level-0 pixel bounds scaled once, so neighbouring cells meet without gaps
    const x0 = Math.round(a.x * k), y0 = Math.round(a.y * k), x1 = Math.round((a.x + a.w) * k), y1 = Math.round((a.y + a.h) * k);
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
  }
  return c;
}

/** Tissue pixels of the mask PNG (its top rows, at thumbnail size: levels > 0 are tissue) as a tinted layer. */
async function tissueCanvas(thumbW: number, thumbH: number): Promise<HTMLCanvasElement> {
  const img = new Image();
  img.src = `/api/slides/${enc}/mask.png`;
  await img.decode();
  const c = el('canvas', { class: 'overlay-canvas', id: 'tissue-layer' });
  c.width = thumbW;
  c.height = thumbH;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(img, 0, 0, thumbW, thumbH, 0, 0, thumbW, thumbH);
  const d = ctx.getImageData(0, 0, thumbW, thumbH);
  for (let i = 0; i < d.data.length; i += 4) {
    const tissue = d.data[i]! > 0;
    d.data[i] = 30; d.data[i + 1] = 110; d.data[i + 2] = 230; d.data[i + 3] = tissue ? 120 : 0;
  }
  ctx.putImageData(d, 0, 0);
  return c;
}

function legend(o: Overlay): HTMLElement {
  const stops = o.bar.map((c, i) => `rgb(${c[0]},${c[1]},${c[2]}) ${((i / (o.bar.length - 1)) * 100).toFixed(1)}%`).join(',');
  const bar = el('div', { class: 'legend-bar', style: `background: linear-gradient(to right, ${stops})` });
  if (o.threshold !== null && o.threshold >= o.range.lo && o.threshold <= o.range.hi) {
    bar.append(el('div', { class: 'thr', title: `threshold ${o.threshold}`, style: `left: calc(${((o.threshold - o.range.lo) / (o.range.hi - o.range.lo)) * 100}% - 1px)` }));
  }
  return el('div', {}, bar,
    el('div', { class: 'legend-ticks' }, el('span', {}, fmt(o.range.lo, 2)), el('span', {}, o.threshold === null ? '' : `threshold ${o.threshold}`), el('span', {}, fmt(o.range.hi, 2))),
    el('div', { class: 'muted' }, `${o.range.legend}; higher = blurrier`));
}

async function main(): Promise<void> {
  const [cohort, focus, overlay] = await Promise.all([
    getJson<{ slides: SlideEntry[] }>('/api/slides'), getJson<Focus>(`/api/slides/${enc}`), getJson<Overlay>(`/api/slides/${enc}/tiles`),
  ]);
  const entry = cohort.slides.find((s) => s.id === id);
  document.title = `focuslite — ${id}`;
  $('title').textContent = id;
  const v = entry ? verdict(entry) : '–';
  $('verdict').replaceChildren(el('span', { class: `pill ${verdictClass(v)}` }, `QC ${v}`));
  const facts = $('facts');
  const kv = (k: string, val: string) => facts.append(el('dt', {}, k), el('dd', {}, val));
  if (entry) {
    kv('blur share', pct(entry.blurShare));
    kv('tissue', entry.tissueMm2 === null ? '–' : `${fmt(entry.tissueMm2)} mm²`);
    kv('crops', String(entry.crops ?? '–'));
    kv('mean / p90', `${fmt(entry.mean)} / ${fmt(entry.p90)}`);
    kv('size', entry.width ? `${entry.width} x ${entry.height}` : '–');
    kv('reader', `${entry.reader ?? '–'} (${entry.format ?? '–'})`);
  }
  $('legend').replaceChildren(legend(overlay));

  const viewer = OpenSeadragon({
    id: 'osd', prefixUrl: '/vendor/openseadragon/images/', tileSources: `/slides/${enc}.dzi`,
    showNavigator: true, crossOriginPolicy: false, maxZoomPixelRatio: 2, gestureSettingsMouse: { clickToZoom: false },
  });
  (window as unknown as { viewer: unknown }).viewer = viewer;
  const W = focus.dimensions?.width ?? entry?.width ?? 1, H = focus.dimensions?.height ?? entry?.height ?? 1;
  const focusLayer = focusCanvas(overlay.tiles, W, H);
  const thumb = focus.maps?.thumbnail;
  const lookup = cellLookup(overlay.tiles);
  const sorted = [...overlay.tiles].sort((a, b) => b.score - a.score).slice(0, TOP_K);

  viewer.addHandler('open', async () => {
    const rect = viewer.viewport.imageToViewportRectangle(0, 0, W, H);
    viewer.addOverlay({ element: wrap(focusLayer), location: rect });
    const setOpacity = () => { focusLayer.style.opacity = String(Number(($('opacity') as HTMLInputElement).value) / 100); };
    setOpacity();
    $('opacity').addEventListener('input', setOpacity);
    $('show-focus').addEventListener('change', (e) => { focusLayer.style.display = (e.target as HTMLInputElement).checked ? 'block' : 'none'; });
    if (thumb) {
      const tissue = await tissueCanvas(thumb.width, thumb.height);
      viewer.addOverlay({ element: wrap(tissue), location: rect });
      tissue.style.display = 'none';
      $('show-tissue').addEventListener('change', (e) => { tissue.style.display = (e.target as HTMLInputElement).checked ? 'block' : 'none'; });
    } else {
      ($('show-tissue') as HTMLInputElement).disabled = true;
    }
    document.body.dataset.ready = '1';
  });
  viewer.addHandler('open-failed', (e: { message?: string }) => { $('note').textContent = `slide could not be opened: ${e.message ?? 'error'}`; });

  const show = (t: Tile | null, pinned: boolean): void => {
    const box = $('hover');
    if (!t) {
      if (!pinned) box.textContent = 'no scored tile here';
      return;
    }
    const a = areaOf(t);
    box.className = '';
    box.dataset.score = String(t.score);
    box.replaceChildren(
      el('div', {}, el('b', {}, `score ${t.score.toFixed(3)}`), t.blurred ? ' — out of focus' : ''),
      el('div', {}, `tissue ${pct(t.tissue)} of the crop${t.cell ? `, ${pct(t.cell.tissue)} of its cell` : ''}`),
      el('div', { class: 'muted' }, `crop ${t.x},${t.y} (${t.w}x${t.h}); cell ${a.x},${a.y} ${a.w}x${a.h}`));
  };
  const imagePoint = (pos: unknown) => viewer.viewport.viewerElementToImageCoordinates(pos);
  new OpenSeadragon.MouseTracker({
    element: viewer.element,
    moveHandler: (e: { position: unknown }) => { const p = imagePoint(e.position); show(lookup(p.x, p.y), false); },
  });
  viewer.addHandler('canvas-click', (e: { position: unknown; quick: boolean }) => {
    if (!e.quick) return;
    const p = imagePoint(e.position);
    show(lookup(p.x, p.y), true);
  });

  $('topk').replaceChildren(...sorted.map((t, i) => {
    const li = el('li', { 'data-index': String(i) }, `${t.score.toFixed(3)} at ${t.x},${t.y}${t.blurred ? ' (out of focus)' : ''}`);
    li.addEventListener('click', () => {
      const pad = Math.max(t.w, t.h) * 2;
      viewer.viewport.fitBounds(viewer.viewport.imageToViewportRectangle(t.x - pad, t.y - pad, t.w + 2 * pad, t.h + 2 * pad));
      show(t, true);
    });
    return li;
  }));
  if (sorted.length === 0) $('note').textContent = 'no scored tiles on this slide';
}

main().catch((err) => { $('note').textContent = err instanceof Error ? err.message : String(err); });
