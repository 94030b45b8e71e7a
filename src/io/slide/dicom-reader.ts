/**
 * SlideReader for DICOM whole-slide images (VL Whole Slide Microscopy Image objects), in
 * TypeScript: no OpenSlide. A slide is one instance file, or a folder holding a series (one
 * instance per pyramid level, plus LABEL / OVERVIEW / THUMBNAIL images told apart by ImageType).
 * Frames are tiles of the Total Pixel Matrix, in TILED_FULL order or placed by the Per-Frame
 * Functional Groups (TILED_SPARSE); a region read decodes the frames under it (with a small
 * cache of decoded frames, bounded in bytes) and leaves tiles without a frame white.
 */
import type { RgbImage } from '../../core/image.js';
import { DicomFormatError, describeInstance, readDicomHeader, type DicomInstance } from './dicom-header.js';
import { FrameTable, decodeFrame } from './dicom-frames.js';
import { slideMetadata } from './metadata.js';
import type { SlideProbe } from './probe.js';
import { MAX_REGION_PIXELS, pasteInto, readClipped, thumbnailLevel, thumbnailSize, validateRegion, whiteImage } from './region.js';
import { openFileSource, type ByteSource } from './source.js';
import { resizeRgb, slideThumbnail } from './thumbnail.js';
import type { SlideInfo, SlideLevel, SlideReader } from './types.js';

/** Decoded frames kept for reuse (neighbouring region reads share edge tiles). */
const CACHE_BYTES = 96 << 20;
/** Thumbnails read a level whole up to this size (192 MiB of RGB), else in bands of about BAND_PIXELS. */
const WHOLE_LEVEL_PIXELS = 1 << 26;
const BAND_PIXELS = 1 << 24;

interface Part {
  readonly inst: DicomInstance;
  readonly table: FrameTable;
  /** Index of this part's first frame in the whole image (concatenations split frames over files). */
  readonly frameOffset: number;
}

/** Where one frame goes: its part, its frame index in that part, its top-left corner. */
interface Placement {
  readonly part: number;
  readonly frame: number;
  readonly x: number;
  readonly y: number;
}

/** One image of the slide (a pyramid level or an associated image) as a grid of frames. */
class TiledImage {
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly across: number;
  readonly down: number;
  /**
   * TILED_FULL frame order: row-major as the standard defines it; 'column' only where a file
   * without Dimension Organization Type shows column-major seams (see inferFrameOrder).
   */
  order: 'row' | 'column' = 'row';
  /** TILED_SPARSE: frames by the tile cell(s) they cover; null for TILED_FULL order. */
  private readonly cells: Map<number, Placement[]> | null;

  constructor(readonly id: string, readonly parts: readonly Part[]) {
    const first = parts[0]!.inst;
    this.width = first.totalWidth;
    this.height = first.totalHeight;
    this.tileWidth = first.tileWidth;
    this.tileHeight = first.tileHeight;
    this.across = Math.ceil(this.width / this.tileWidth);
    this.down = Math.ceil(this.height / this.tileHeight);
    for (const p of parts) {
      if (p.inst.tileWidth !== this.tileWidth || p.inst.tileHeight !== this.tileHeight) {
        throw new DicomFormatError(p.inst.path, `concatenation part has ${p.inst.tileWidth}x${p.inst.tileHeight} frames, others ${this.tileWidth}x${this.tileHeight}`);
      }
    }
    this.cells = parts.some((p) => p.inst.positions) ? this.indexSparse() : null;
    if (!this.cells) {
      const frames = parts.reduce((s, p) => s + p.inst.frames, 0);
      const needed = this.across * this.down;
      if (frames < needed) throw new DicomFormatError(first.path, `${frames} frames cannot tile a ${this.width}x${this.height} matrix of ${this.tileWidth}x${this.tileHeight} tiles (${needed} needed; truncated series?)`);
    }
  }

  private indexSparse(): Map<number, Placement[]> {
    const cells = new Map<number, Placement[]>();
    this.parts.forEach((p, part) => {
      const pos = p.inst.positions;
      if (!pos) throw new DicomFormatError(p.inst.path, 'concatenation mixes TILED_FULL and TILED_SPARSE parts');
      for (let i = 0; i < pos.frame.length; i++) {
        const pl: Placement = { part, frame: pos.frame[i]!, x: pos.x[i]!, y: pos.y[i]! };
        // Frames off the matrix are ignored; a frame not on the tile grid covers up to four cells.
        if (pl.x >= this.width || pl.y >= this.height || pl.x + this.tileWidth <= 0 || pl.y + this.tileHeight <= 0) continue;
        const c0 = Math.max(0, Math.floor(pl.x / this.tileWidth)), c1 = Math.min(this.across - 1, Math.floor((pl.x + this.tileWidth - 1) / this.tileWidth));
        const r0 = Math.max(0, Math.floor(pl.y / this.tileHeight)), r1 = Math.min(this.down - 1, Math.floor((pl.y + this.tileHeight - 1) / this.tileHeight));
        for (let r = r0; r <= r1; r++) {
          for (let c = c0; c <= c1; c++) {
            const key = r * this.across + c;
            const list = cells.get(key);
            if (list) list.push(pl);
            else cells.set(key, [pl]);
          }
        }
      }
    });
    return cells;
  }

  /** Frames that overlap the rectangle, in frame order (later frames paint over earlier ones). */
  placements(x: number, y: number, w: number, h: number): Placement[] {
    const c0 = Math.floor(x / this.tileWidth), c1 = Math.floor((x + w - 1) / this.tileWidth);
    const r0 = Math.floor(y / this.tileHeight), r1 = Math.floor((y + h - 1) / this.tileHeight);
    const out: Placement[] = [];
    if (!this.cells) {
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          const g = this.order === 'row' ? r * this.across + c : c * this.down + r;
          const part = this.parts.findIndex((p) => g >= p.frameOffset && g < p.frameOffset + p.inst.frames);
          if (part >= 0) out.push({ part, frame: g - this.parts[part]!.frameOffset, x: c * this.tileWidth, y: r * this.tileHeight });
        }
      }
      return out;
    }
    const seen = new Set<Placement>();
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        for (const pl of this.cells.get(r * this.across + c) ?? []) {
          if (seen.has(pl) || pl.x >= x + w || pl.y >= y + h || pl.x + this.tileWidth <= x || pl.y + this.tileHeight <= y) continue;
          seen.add(pl);
          out.push(pl);
        }
      }
    }
    return out.sort((a, b) => a.part - b.part || a.frame - b.frame);
  }

  /** Whether TILED_FULL order is only assumed: no Dimension Organization Type, a 2-D grid of frames. */
  get orderUndeclared(): boolean {
    const inst = this.parts[0]!.inst;
    return !this.cells && this.parts.length === 1 && inst.dimensionOrganization === null && this.across > 1 && this.down > 1;
  }

  /** Frames the image has (sparse: those placed; full: the grid). */
  get frameCount(): number {
    if (!this.cells) return this.across * this.down;
    return this.parts.reduce((s, p) => s + (p.inst.positions?.frame.length ?? 0), 0);
  }
}

// Frames decoded to infer an undeclared frame order (about the first rows / columns).
const FRAME_ORDER_SAMPLE = 64;

/**
 * Mean absolute difference across the seam of frame a (left of / above) and frame b: a's last
 * column against b's first (horizontal) or a's last row against b's first (vertical). Null when
 * both edges are flat (glass, padding): such a seam says nothing about the order.
 */
function seamCost(a: RgbImage, b: RgbImage, dir: 'horizontal' | 'vertical'): number | null {
  const span = dir === 'horizontal' ? a.height : a.width;
  let diff = 0, sumA = 0, sqA = 0, sumB = 0, sqB = 0;
  for (let k = 0; k < span; k++) {
    const oa = dir === 'horizontal' ? (k * a.width + a.width - 1) * 3 : ((a.height - 1) * a.width + k) * 3;
    const ob = dir === 'horizontal' ? k * b.width * 3 : k * 3;
    for (let ch = 0; ch < 3; ch++) {
      const va = a.data[oa + ch]!, vb = b.data[ob + ch]!;
      diff += Math.abs(va - vb);
      sumA += va;
      sqA += va * va;
      sumB += vb;
      sqB += vb * vb;
    }
  }
  const n = span * 3;
  const varA = sqA / n - (sumA / n) ** 2;
  const varB = sqB / n - (sumB / n) ** 2;
  return varA < 4 && varB < 4 ? null : diff / n;
}

function pushSeam(list: number[], cost: number | null): void {
  if (cost !== null) list.push(cost);
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Copy the w x h rectangle at (sx, sy) of src to (dx, dy) of dst. */
function copyRect(dst: RgbImage, dx: number, dy: number, src: RgbImage, sx: number, sy: number, w: number, h: number): void {
  const row = w * 3;
  for (let r = 0; r < h; r++) {
    const s = ((sy + r) * src.width + sx) * 3;
    dst.data.set(src.data.subarray(s, s + row), ((dy + r) * dst.width + dx) * 3);
  }
}

export interface DicomReadStats {
  /** Frames decoded so far (cache hits not counted). */
  framesDecoded: number;
  /** Compressed (or native) frame bytes read from the files. */
  frameBytesRead: number;
}

export class DicomSlideReader implements SlideReader {
  private closed = false;
  private readonly cache = new Map<string, { tile: Promise<RgbImage>; bytes: number }>();
  private cachedBytes = 0;
  readonly stats: DicomReadStats = { framesDecoded: 0, frameBytesRead: 0 };
  /** Reader notes for reports (inferred frame order, MPP caveats), also in info.warnings. */
  readonly notes: string[];

  constructor(
    readonly info: SlideInfo,
    private readonly levels: readonly TiledImage[],
    private readonly associated: ReadonlyMap<string, TiledImage>,
    private readonly sources: readonly ByteSource[],
    /** The ICC profile of the optical path (not applied: scoring uses the stored pixels). */
    readonly iccProfile: Uint8Array | null,
  ) {
    this.notes = info.warnings as string[];
  }

  private fail(problem: string): never {
    throw new Error(`${this.info.path}: ${problem}`);
  }

  /** Frames per level (what a full read of each level decodes). */
  frameCounts(): number[] {
    return this.levels.map((l) => l.frameCount);
  }

  private tile(img: TiledImage, pl: Placement, what: string): Promise<RgbImage> {
    const key = `${img.id}/${pl.part}/${pl.frame}`;
    const hit = this.cache.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.tile;
    }
    const part = img.parts[pl.part]!;
    const tile = (async () => {
      const bytes = await part.table.readFrame(pl.frame);
      this.stats.frameBytesRead += bytes.length;
      try {
        const decoded = await decodeFrame(part.inst, bytes);
        this.stats.framesDecoded++;
        return decoded;
      } catch (err) {
        throw new DicomFormatError(part.inst.path, `cannot decode frame ${pl.frame + 1} of ${what} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
      }
    })();
    const entry = { tile, bytes: img.tileWidth * img.tileHeight * 3 };
    this.cache.set(key, entry);
    this.cachedBytes += entry.bytes;
    tile.catch(() => this.forget(key));
    while (this.cachedBytes > CACHE_BYTES && this.cache.size > 1) {
      const oldest = this.cache.keys().next().value as string;
      this.forget(oldest);
    }
    return tile;
  }

  /**
   * Files without Dimension Organization Type (non-conformant converter output, such as the
   * TCGA-derived small_dicom.dcm) do not say their frame order; some write frames column by
   * column. Decode the first frames and compare the seams between consecutive frames as
   * horizontal neighbours (row-major, the standard's TILED_FULL) and as vertical neighbours
   * (column-major): column-major is taken only when its seams are clearly smoother.
   */
  async inferFrameOrder(img: TiledImage, what: string): Promise<void> {
    if (!img.orderUndeclared) return;
    const n = Math.min(img.parts[0]!.inst.frames, img.across * img.down, FRAME_ORDER_SAMPLE);
    const tiles: RgbImage[] = [];
    for (let i = 0; i < n; i++) tiles.push(await this.tile(img, { part: 0, frame: i, x: 0, y: 0 }, what));
    const horizontal: number[] = [], vertical: number[] = [];
    for (let i = 0; i + 1 < n; i++) {
      const a = tiles[i]!, b = tiles[i + 1]!;
      // Seams inside the matrix only: the last column / row of a frame may be padding.
      if ((i + 1) % img.across !== 0) pushSeam(horizontal, seamCost(a, b, 'horizontal'));
      if ((i + 1) % img.down !== 0) pushSeam(vertical, seamCost(a, b, 'vertical'));
    }
    if (horizontal.length >= 3 && vertical.length >= 3 && median(vertical) < 0.5 * median(horizontal)) {
      img.order = 'column';
      this.notes.push(`${what}: frame order inferred as column-major (the file has no Dimension Organization Type; seams between consecutive frames match vertically)`);
    }
  }

  private forget(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cache.delete(key);
    this.cachedBytes -= e.bytes;
  }

  /** The rectangle (inside the image) composed from its frames; cells without a frame stay white. */
  private async compose(img: TiledImage, x: number, y: number, w: number, h: number, what: string): Promise<RgbImage> {
    if (this.closed) this.fail('slide reader is closed');
    const out = whiteImage(w, h);
    const placements = img.placements(x, y, w, h);
    const tiles = await Promise.all(placements.map((pl) => this.tile(img, pl, what)));
    placements.forEach((pl, i) => {
      const sx = Math.max(x, pl.x), sy = Math.max(y, pl.y);
      const ex = Math.min(x + w, pl.x + img.tileWidth, img.width), ey = Math.min(y + h, pl.y + img.tileHeight, img.height);
      if (ex > sx && ey > sy) copyRect(out, sx - x, sy - y, tiles[i]!, sx - pl.x, sy - pl.y, ex - sx, ey - sy);
    });
    return out;
  }

  async readRegion(level: number, x: number, y: number, w: number, h: number): Promise<RgbImage> {
    if (this.closed) this.fail('slide reader is closed');
    validateRegion(this.info.levels, level, x, y, w, h);
    const img = this.levels[level]!;
    return readClipped(img.width, img.height, x, y, w, h, (cx, cy, cw, ch) => this.compose(img, cx, cy, cw, ch, `level ${level}`));
  }

  async readAssociated(name: string): Promise<RgbImage> {
    const img = this.associated.get(name);
    if (!img) this.fail(`no associated image '${name}' (available: ${this.info.associatedImages.join(', ') || 'none'})`);
    if (img.width * img.height > MAX_REGION_PIXELS) this.fail(`associated image '${name}' is ${img.width}x${img.height}, too large to read whole`);
    return this.compose(img, 0, 0, img.width, img.height, `associated image '${name}'`);
  }

  /**
   * As the other backends do (the smallest big-enough level, resized), except when that level is
   * too large to hold at once (a file without a pyramid): then it is read in bands of tile rows,
   * each shrunk into its rows of the thumbnail, so memory stays bounded by one band.
   */
  async thumbnail(maxSize: number): Promise<RgbImage> {
    const base = this.info.levels[0]!;
    const size = thumbnailSize(base.width, base.height, maxSize);
    const level = thumbnailLevel(this.info.levels, size.width, size.height);
    const img = this.levels[level]!;
    if (img.width * img.height <= WHOLE_LEVEL_PIXELS) return slideThumbnail(this, maxSize);
    const out = whiteImage(size.width, size.height);
    const band = Math.max(1, Math.floor(BAND_PIXELS / (img.width * img.tileHeight))) * img.tileHeight;
    for (let y0 = 0; y0 < img.height; y0 += band) {
      const y1 = Math.min(img.height, y0 + band);
      const o0 = Math.round((y0 * size.height) / img.height), o1 = Math.round((y1 * size.height) / img.height);
      if (o1 <= o0) continue;
      const strip = await this.readRegion(level, 0, y0, img.width, y1 - y0);
      pasteInto(out, await resizeRgb(strip, size.width, o1 - o0), 0, o0);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    this.cachedBytes = 0;
    await Promise.allSettled(this.sources.map((s) => s.close()));
  }
}

// ------------------------------------------------------------------ opening

const ASSOCIATED_NAMES: Record<string, string> = { LABEL: 'label', OVERVIEW: 'macro', THUMBNAIL: 'thumbnail' };

const byInstance = (a: DicomInstance, b: DicomInstance): number => a.instanceNumber - b.instanceNumber || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * The instances that make one image: a concatenation's parts in frame order, else the first
 * instance (others of the same size are further focal planes or optical paths: one is scored).
 */
async function imageParts(group: DicomInstance[], sources: ReadonlyMap<DicomInstance, ByteSource>): Promise<{ parts: Part[]; ignored: number }> {
  const sorted = [...group].sort(byInstance);
  const first = sorted[0]!;
  const members = first.concatenation
    ? sorted.filter((i) => i.concatenation?.uid === first.concatenation!.uid).sort((a, b) => a.concatenation!.frameOffset - b.concatenation!.frameOffset)
    : [first];
  const parts: Part[] = [];
  for (const inst of members) {
    const table = new FrameTable(inst, sources.get(inst)!);
    await table.check();
    parts.push({ inst, table, frameOffset: inst.concatenation?.frameOffset ?? 0 });
  }
  return { parts, ignored: group.length - members.length };
}

function groupBySize(instances: readonly DicomInstance[]): DicomInstance[][] {
  const groups = new Map<string, DicomInstance[]>();
  for (const inst of instances) {
    const key = `${inst.totalWidth}x${inst.totalHeight}`;
    const g = groups.get(key);
    if (g) g.push(inst);
    else groups.set(key, [inst]);
  }
  return [...groups.values()].sort((a, b) => b[0]!.totalWidth * b[0]!.totalHeight - a[0]!.totalWidth * a[0]!.totalHeight);
}

/** Build the reader from parsed instances (one file, or a series folder's files). */
async function buildReader(path: string, instances: readonly DicomInstance[], sources: ReadonlyMap<DicomInstance, ByteSource>): Promise<DicomSlideReader> {
  const volumes = instances.filter((i) => i.flavor === 'VOLUME');
  if (volumes.length === 0) {
    const kinds = [...new Set(instances.map((i) => i.flavor))].join(', ');
    throw new Error(`${path}: no pyramid (VOLUME) image in this DICOM ${instances.length > 1 ? 'series' : 'file'} (found ${kinds})`);
  }
  const levels: TiledImage[] = [];
  const properties: Record<string, string> = {};
  let ignored = 0;
  for (const group of groupBySize(volumes)) {
    const { parts, ignored: n } = await imageParts(group, sources);
    ignored += n;
    levels.push(new TiledImage(`level${levels.length}`, parts));
  }
  const base = levels[0]!;
  const slideLevels: SlideLevel[] = levels.map((l) => ({
    width: l.width,
    height: l.height,
    // OpenSlide's definition, as the other backends report it.
    downsample: (base.width / l.width + base.height / l.height) / 2,
    tileWidth: l.tileWidth,
    tileHeight: l.tileHeight,
  }));

  const associated = new Map<string, TiledImage>();
  for (const inst of [...instances].sort(byInstance)) {
    const name = ASSOCIATED_NAMES[inst.flavor];
    if (!name || associated.has(name)) continue;
    const table = new FrameTable(inst, sources.get(inst)!);
    await table.check();
    associated.set(name, new TiledImage(name, [{ inst, table, frameOffset: 0 }]));
  }

  const level0 = base.parts[0]!.inst;
  Object.assign(properties, level0.properties);
  properties['dicom.level-count'] = String(levels.length);
  properties['dicom.instance-count'] = String(instances.length);
  levels.forEach((l, i) => {
    properties[`dicom.level[${i}].width`] = String(l.width);
    properties[`dicom.level[${i}].height`] = String(l.height);
    properties[`dicom.level[${i}].tile-width`] = String(l.tileWidth);
    properties[`dicom.level[${i}].tile-height`] = String(l.tileHeight);
    properties[`dicom.level[${i}].frames`] = String(l.frameCount);
    properties[`dicom.level[${i}].organization`] = l.parts[0]!.inst.positions ? 'TILED_SPARSE' : 'TILED_FULL';
  });
  if (ignored > 0) properties['dicom.ignored-instances'] = `${ignored} (further focal planes or optical paths of a level; the first is read)`;

  // Level 0 should carry Pixel Spacing; if only a smaller level does, scale it by its downsample.
  let mpp = level0.mpp;
  if (!mpp) {
    const i = levels.findIndex((l) => l.parts[0]!.inst.mpp);
    if (i > 0) {
      const m = levels[i]!.parts[0]!.inst.mpp!;
      mpp = { x: (m.x * levels[i]!.width) / base.width, y: (m.y * levels[i]!.height) / base.height };
      properties['dicom.mpp-source'] = `${levels[i]!.parts[0]!.inst.mppSource} of level ${i}, scaled to level 0`;
    }
  }
  const objectivePower = instances.map((i) => i.objectivePower).find((v) => v !== null) ?? null;
  const iccProfile = level0.iccProfile ?? instances.map((i) => i.iccProfile).find((v) => v !== null) ?? null;
  if (iccProfile && !properties['dicom.ICCProfile']) properties['dicom.ICCProfile'] = `${iccProfile.length} bytes`;

  const warnings: string[] = [];
  if (mpp && properties['dicom.mpp-source']?.startsWith('dicom.ImagedVolume')) {
    const square = Math.abs(mpp.x - mpp.y) <= 0.02 * Math.max(mpp.x, mpp.y);
    warnings.push(`MPP ${mpp.x.toFixed(4)} x ${mpp.y.toFixed(4)} µm/px is derived from Imaged Volume Width/Height (the file has no Pixel Spacing)${square ? '' : '; the pixels it implies are not square, so the imaged volume may be a nominal value'}`);
  }
  const info: SlideInfo = {
    path,
    reader: 'dicom',
    format: 'dicom',
    levels: slideLevels,
    mpp,
    objectivePower,
    associatedImages: [...associated.keys()],
    properties,
    metadata: slideMetadata({ format: 'dicom', properties, mpp, objectivePower }),
    warnings,
  };
  const reader = new DicomSlideReader(info, levels, associated, [...new Set(sources.values())], iccProfile);
  for (let i = 0; i < levels.length; i++) await reader.inferFrameOrder(levels[i]!, `level ${i}`);
  for (const [name, img] of associated) await reader.inferFrameOrder(img, `associated image '${name}'`);
  levels.forEach((l, i) => {
    if (l.order === 'column') properties[`dicom.level[${i}].frame-order`] = 'column-major (inferred)';
  });
  return reader;
}

/** Open a probed DICOM file or series folder; throws one line naming the file on any problem. */
export async function openDicomSlide(probe: SlideProbe): Promise<DicomSlideReader> {
  const files = probe.dicomFiles ?? [probe.path];
  const sources = new Map<DicomInstance, ByteSource>();
  const opened: ByteSource[] = [];
  try {
    const instances: DicomInstance[] = [];
    for (const file of files) {
      const src = await openFileSource(file);
      opened.push(src);
      const inst = describeInstance(await readDicomHeader(src), file, src.size);
      instances.push(inst);
      sources.set(inst, src);
    }
    return await buildReader(probe.path, instances, sources);
  } catch (err) {
    await Promise.allSettled(opened.map((s) => s.close()));
    throw err;
  }
}
