/**
 * Deep Zoom tiles made on demand from a slide through the project's slide readers (sharp,
 * OpenSlide, DICOM backends alike). Memory stays bounded whatever the slides and the requests:
 * at most `maxOpen` readers are open (the least recently used idle one is closed), at most
 * `concurrency` tiles are rendered at a time, each read is at most MAX_READ_PIXELS (larger
 * source areas are read in blocks, or cut from a cached thumbnail when that is detailed enough),
 * and encoded tiles live in a byte-bounded LRU.
 */
import { cropImage, type RgbImage } from '../core/image.js';
import { encodeJpeg } from '../io/encode.js';
import { resizeRgb } from '../io/resize.js';
import { openSlide } from '../io/slide/index.js';
import type { SlideReader } from '../io/slide/types.js';
import { bestSlideLevel, DZI_OVERLAP, DZI_TILE_SIZE, dziScale, dziTileRect, type DziSpec } from './dzi.js';
import { ByteLru } from './lru.js';

/** Source pixels read (and decoded) at once for one tile or block: 4 MP, 12 MB of RGB. */
export const MAX_READ_PIXELS = 2048 * 2048;
/** Longer side of the per-slide thumbnail the coarsest levels are cut from. */
export const THUMBNAIL_SIZE = 1024;

export interface SlideTilesOptions {
  /** encoded tiles kept (bytes), default 64 MiB */
  cacheBytes?: number;
  /** readers open at once, default 4 */
  maxOpen?: number;
  /** tiles rendered at once, default 2 */
  concurrency?: number;
  jpegQuality?: number;
}

interface OpenSlideHandle {
  reader: Promise<SlideReader>;
  users: number;
  thumbnail: Promise<RgbImage> | null;
}

/** A one-line error for an HTTP status: the route turns it into a JSON error. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Counts waiting callers and lets `limit` of them run at once. */
class Gate {
  private running = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

export class SlideTiles {
  private readonly open = new Map<string, OpenSlideHandle>(); // insertion order = recency
  private readonly cache: ByteLru<Buffer>;
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly gate: Gate;
  private readonly maxOpen: number;
  private readonly quality: number;

  constructor(opts: SlideTilesOptions = {}) {
    this.cache = new ByteLru<Buffer>(opts.cacheBytes ?? 64 * 1024 * 1024, (b) => b.length);
    this.maxOpen = opts.maxOpen ?? 4;
    this.gate = new Gate(opts.concurrency ?? 2);
    this.quality = opts.jpegQuality ?? 85;
  }

  get cacheBytes(): number {
    return this.cache.bytes;
  }

  get openReaders(): number {
    return this.open.size;
  }

  /** Run fn with the slide's reader open (opened on first use, kept open for the next tiles). */
  async withReader<T>(path: string, fn: (r: SlideReader, h: OpenSlideHandle) => Promise<T>): Promise<T> {
    let h = this.open.get(path);
    if (h) {
      this.open.delete(path);
    } else {
      h = { reader: openSlide(path), users: 0, thumbnail: null };
      h.reader.catch(() => this.open.get(path) === h && this.open.delete(path));
    }
    this.open.set(path, h);
    h.users++;
    try {
      const reader = await h.reader.catch((err: unknown) => {
        throw new HttpError(500, `cannot read the slide (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      });
      return await fn(reader, h);
    } finally {
      h.users--;
      await this.evict();
    }
  }

  private async evict(): Promise<void> {
    for (const [path, h] of this.open) {
      if (this.open.size <= this.maxOpen) break;
      if (h.users > 0) continue;
      this.open.delete(path);
      await h.reader.then((r) => r.close(), () => undefined);
    }
  }

  /** The DZI geometry of a slide (level-0 size from the reader). */
  async spec(path: string): Promise<DziSpec> {
    return this.withReader(path, async (r) => ({ width: r.info.levels[0]!.width, height: r.info.levels[0]!.height, tileSize: DZI_TILE_SIZE, overlap: DZI_OVERLAP }));
  }

  /** One JPEG tile; `key` names the slide in the cache (its id). */
  async tile(key: string, path: string, level: number, col: number, row: number): Promise<Buffer> {
    const k = `${key}\u0000${level}/${col}_${row}`;
    const hit = this.cache.get(k);
    if (hit) return hit;
    let p = this.inflight.get(k);
    if (!p) {
      p = this.gate.run(() => this.render(path, level, col, row)).finally(() => this.inflight.delete(k));
      this.inflight.set(k, p);
    }
    const buf = await p;
    this.cache.set(k, buf);
    return buf;
  }

  /** Forget a slide's cached tiles (it was rescored or its file changed). */
  forget(key: string): void {
    this.cache.deletePrefix(`${key}\u0000`);
  }

  private async render(path: string, level: number, col: number, row: number): Promise<Buffer> {
    return this.withReader(path, async (reader, handle) => {
      const l0 = reader.info.levels[0]!;
      const spec: DziSpec = { width: l0.width, height: l0.height, tileSize: DZI_TILE_SIZE, overlap: DZI_OVERLAP };
      const rect = dziTileRect(spec, level, col, row);
      if (!rect) throw new HttpError(404, `no tile ${level}/${col}_${row} in this slide's Deep Zoom pyramid`);
      const img = await renderRegion(reader, handle, dziScale(spec, level), rect);
      return encodeJpeg(img, this.quality);
    });
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((h) => h.reader.then((r) => r.close(), () => undefined)));
  }
}

/**
 * The pixels of `rect` (in the pixels of a level `scale` times smaller than level 0), resampled
 * from the best slide level, the cached thumbnail, or block by block.
 */
async function renderRegion(reader: SlideReader, handle: OpenSlideHandle, scale: number, rect: { x: number; y: number; w: number; h: number }): Promise<RgbImage> {
  const levels = reader.info.levels;
  const W = levels[0]!.width, H = levels[0]!.height;
  const li = bestSlideLevel(levels.map((l) => l.downsample), scale);
  const ds = levels[li]!.downsample;
  const f = scale / ds; // slide-level pixels per output pixel
  if (rect.w * f * rect.h * f <= MAX_READ_PIXELS) return readResampled(reader, li, ds, scale, rect);
  handle.thumbnail ??= reader.thumbnail(THUMBNAIL_SIZE);
  const thumb = await handle.thumbnail;
  const sx = W / thumb.width, sy = H / thumb.height;
  if (scale >= Math.max(sx, sy)) {
    // the thumbnail is at least as detailed as this level: cut the tile from it
    const x0 = Math.floor((rect.x * scale) / sx), y0 = Math.floor((rect.y * scale) / sy);
    const x1 = Math.min(thumb.width, Math.max(x0 + 1, Math.ceil(((rect.x + rect.w) * scale) / sx)));
    const y1 = Math.min(thumb.height, Math.max(y0 + 1, Math.ceil(((rect.y + rect.h) * scale) / sy)));
    return resizeRgb(cropImage(thumb, x0, y0, x1 - x0, y1 - y0), rect.w, rect.h);
  }
  // between the levels: read in blocks of output pixels, each within the read budget
  const b = Math.max(1, Math.floor(Math.sqrt(MAX_READ_PIXELS) / f));
  const out = new Uint8Array(rect.w * rect.h * 3);
  for (let by = 0; by < rect.h; by += b) {
    for (let bx = 0; bx < rect.w; bx += b) {
      const block = { x: rect.x + bx, y: rect.y + by, w: Math.min(b, rect.w - bx), h: Math.min(b, rect.h - by) };
      const img = await readResampled(reader, li, ds, scale, block);
      for (let r = 0; r < block.h; r++) out.set(img.data.subarray(r * block.w * 3, (r + 1) * block.w * 3), ((by + r) * rect.w + bx) * 3);
    }
  }
  return { width: rect.w, height: rect.h, data: out };
}

/** Read the level-`li` pixels under `rect` and resample them to rect's size. */
async function readResampled(reader: SlideReader, li: number, ds: number, scale: number, rect: { x: number; y: number; w: number; h: number }): Promise<RgbImage> {
  const lv = reader.info.levels[li]!;
  const x0 = Math.floor((rect.x * scale) / ds), y0 = Math.floor((rect.y * scale) / ds);
  const x1 = Math.min(lv.width, Math.max(x0 + 1, Math.ceil(((rect.x + rect.w) * scale) / ds)));
  const y1 = Math.min(lv.height, Math.max(y0 + 1, Math.ceil(((rect.y + rect.h) * scale) / ds)));
  const img = await reader.readRegion(li, x0, y0, x1 - x0, y1 - y0);
  return resizeRgb(img, rect.w, rect.h);
}
