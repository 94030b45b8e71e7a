/**
 * SlideReader on sharp (libvips): PNG, JPEG, WebP, GIF and TIFF/BigTIFF, tiled or stripped,
 * including OME-TIFF and Aperio SVS with JPEG tiles. Each pyramid level is one TIFF page (or
 * SubIFD); a region is `sharp(path, {page}).extract(...)`, and libvips decodes only the tiles
 * or strips under it. Formats whose pixels this libvips cannot decode (JPEG 2000 tiles) or whose
 * layout needs vendor logic (NDPI, Philips, ...) are refused with a reason naming OpenSlide.
 */
import sharp, { type Sharp } from 'sharp';
import { cropImage, type RgbImage } from '../../core/image.js';
import { formatLabel, type SlideProbe } from './probe.js';
import { pasteInto, readClipped, thumbnailLevel, thumbnailSize, validateRegion } from './region.js';
import { DIRECT_THUMBNAIL_PIXELS, slideThumbnail } from './thumbnail.js';
import { openFileSource, type ByteSource } from './source.js';
import type { TiffDirectory, TiffStructure } from './tiff-tags.js';
import { planStripBands, readStripBand, stripGeometry, type StripGeometry, type TiffFlavour } from './tiff-strips.js';
import { MAX_PLAUSIBLE_MPP, compressionName, isJpeg2000 } from './tiff-layout.js';
import { slideMetadata } from './metadata.js';
import type { SlideInfo, SlideLevel, SlideReader } from './types.js';

/** TIFF compressions the libtiff inside sharp's prebuilt libvips decodes (no JPEG 2000, no zstd). */
export const SHARP_TIFF_COMPRESSIONS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 7, 8, 32773, 32946, 50001]);

const SHARP_TIFF_FORMATS = new Set(['generic-tiff', 'ome-tiff', 'aperio-svs']);
const SHARP_IMAGE_CONTAINERS = new Set(['png', 'jpeg', 'webp', 'gif']);
// Standalone JPEG 2000 (no decoder in this libvips), Zeiss CZI and Olympus VSI (not in OpenSlide).
const UNSUPPORTED_CONTAINERS = new Set(['jp2', 'zeiss-czi', 'olympus-vsi']);

/**
 * A backend's answer for one file. needsOpenSlide names what OpenSlide would read instead
 * ('Aperio SVS slides with JPEG 2000 tiles'), or is false when OpenSlide would not help.
 */
export type BackendSupport = { ok: true } | { ok: false; reason: string; needsOpenSlide: string | false };

const INSTALL = 'install OpenSlide: apt-get install libopenslide0';

/** Whether sharp can read every level of the probed file, and if not, why. */
export function sharpSupport(probe: SlideProbe): BackendSupport {
  if (SHARP_IMAGE_CONTAINERS.has(probe.container)) return { ok: true };
  const label = formatLabel(probe.format);
  if (probe.container === 'dicom') {
    return { ok: false, reason: 'DICOM whole-slide images are read by the dicom backend (--backend dicom or auto), not by sharp', needsOpenSlide: false };
  }
  if (probe.container === 'unknown') {
    return { ok: false, reason: 'not a recognised slide or image format', needsOpenSlide: false };
  }
  if (UNSUPPORTED_CONTAINERS.has(probe.container)) {
    return { ok: false, reason: `${label} files are not supported (neither sharp's libvips nor OpenSlide reads them)`, needsOpenSlide: false };
  }
  const layout = probe.layout;
  if (!layout || !SHARP_TIFF_FORMATS.has(layout.format)) {
    return { ok: false, reason: `${label} slides need OpenSlide; the sharp backend cannot read them (${INSTALL})`, needsOpenSlide: `${label} slides` };
  }
  for (const level of layout.levels) {
    const c = level.dir.compression;
    if (SHARP_TIFF_COMPRESSIONS.has(c)) continue;
    const what = isJpeg2000(c) ? 'JPEG 2000 tiles' : `${compressionName(c)} compression`;
    return {
      ok: false,
      reason: `${label} with ${what} (TIFF compression ${c}) cannot be decoded by sharp, whose libvips lacks that codec; ${INSTALL}`,
      needsOpenSlide: `${label} slides with ${what}`,
    };
  }
  return { ok: true };
}

/**
 * How the pixels of one image are read:
 * - `whole`: decoded once and regions cropped from memory. Small PNG/JPEG/WebP (no partial
 *   decoding) and small stripped TIFF pages: libvips reads some of those (e.g. Aperio's RGB JPEG
 *   strips) only top to bottom, so out-of-order region reads of them fail.
 * - `tiles`: a tiled TIFF page; libvips decodes only the tiles under a region.
 * - `strips`: a large stripped TIFF page; the strips under a region are rewrapped as a small
 *   TIFF and only those are decoded (tiff-strips.ts).
 * - `sequential`: a large PNG/JPEG/WebP/GIF; each region decodes the file from its first row
 *   to the region's last (these formats have no random access), so they are capped at
 *   MAX_SEQUENTIAL_PIXELS.
 */
type Access = 'whole' | 'tiles' | 'strips' | 'sequential';

/** Where one image of the file lives: a TIFF page, possibly one of its SubIFDs. */
interface ImageRef {
  readonly page: number;
  readonly subIfd: number | null;
  readonly width: number;
  readonly height: number;
  readonly access: Access;
  readonly dir: TiffDirectory | null;
  readonly strips: StripGeometry | null;
}

// Whole decodes are kept up to this size (192 MiB of RGB); larger images are read per region.
const MAX_CACHED_PIXELS = 2 ** 26;
/**
 * Largest PNG/JPEG/WebP/GIF read region by region (about 16k x 16k). Every region decodes the
 * image from its top, so the cost grows with rows x regions; beyond this a slide full of tissue
 * would take hours, and a tiled TIFF is the right container.
 */
export const MAX_SEQUENTIAL_PIXELS = 2 ** 28;
/** Largest decoded strip accepted (what libvips holds while decoding one strip). */
export const MAX_STRIP_BYTES = 2 ** 28;
/** File bytes of strips rewrapped in one band; a region needing more is read in several bands. */
const BAND_BYTES = 32 << 20;

const TILE_ADVICE = 'convert it to a tiled TIFF, e.g. vips tiffsave in out.tif --tile --compression jpeg --Q 90 (or --compression deflate to keep the pixels exact)';

function megapixels(w: number, h: number): string {
  return `${((w * h) / 1e6).toFixed(0)} MP`;
}

/** How a TIFF page is read, or why it cannot be read in bounded memory. */
function tiffRefBase(d: TiffDirectory): Omit<ImageRef, 'access'> {
  return { page: d.page, subIfd: d.subIfd, width: d.width, height: d.height, dir: d, strips: null };
}

function tiffRef(d: TiffDirectory): ImageRef {
  const base = tiffRefBase(d);
  if (d.tileWidth !== null) return { ...base, access: 'tiles' };
  if (d.width * d.height <= MAX_CACHED_PIXELS) return { ...base, access: 'whole' };
  const g = stripGeometry(d);
  if (!g.ok) throw new Error(`${d.width}x${d.height} stripped TIFF page cannot be read by regions (${g.reason}); ${TILE_ADVICE}`);
  if (g.geometry.rawRowBytes === 0 && g.geometry.decodedStripBytes > MAX_STRIP_BYTES) {
    throw new Error(`${d.width}x${d.height} stripped TIFF page stores ${g.geometry.rowsPerStrip} rows per compressed strip (${(g.geometry.decodedStripBytes / 2 ** 20).toFixed(0)} MiB decoded each, limit ${MAX_STRIP_BYTES / 2 ** 20} MiB), too large to decode in bounded memory; ${TILE_ADVICE}`);
  }
  return { ...base, access: 'strips', strips: g.geometry };
}

/** How a plain PNG/JPEG/WebP/GIF is read, or why it is refused. */
function imageRef(label: string, width: number, height: number): ImageRef {
  const base = { page: 0, subIfd: null, width, height, dir: null, strips: null };
  if (width * height <= MAX_CACHED_PIXELS) return { ...base, access: 'whole' };
  if (width * height > MAX_SEQUENTIAL_PIXELS) {
    throw new Error(`${width}x${height} ${label} (${megapixels(width, height)}) is too large to score by regions: ${label} can only be decoded from its first row, so every region would decode the image again (limit ${megapixels(2 ** 14, 2 ** 14)}); ${TILE_ADVICE}`);
  }
  return { ...base, access: 'sequential' };
}

/**
 * Drop libvips' operation cache. sharp 0.35 always loads with sequential access (its
 * sequentialRead: false is not passed on to libvips), and libvips caches load operations: a
 * second read of a stripped page that a previous read consumed then fails ("out of order read",
 * then "Unknown error"). A fresh load after the flush reads correctly. The limits are restored.
 */
function flushLibvipsCache(): void {
  const { memory, files, items } = sharp.cache() as { memory: { max: number }; files: { max: number }; items: { max: number } };
  sharp.cache(false);
  sharp.cache({ memory: memory.max, files: files.max, items: items.max });
}

class SharpSlideReader implements SlideReader {
  private closed = false;
  /** Whole decoded levels, for levels whose ImageRef says `whole`. */
  private readonly wholeLevels = new Map<number, Promise<RgbImage>>();
  /** The file's bytes, for strip reads (opened on first use). */
  private source: Promise<ByteSource> | null = null;

  constructor(
    readonly info: SlideInfo,
    private readonly levelRefs: readonly ImageRef[],
    private readonly associated: ReadonlyMap<string, ImageRef>,
    private readonly flavour: TiffFlavour | null,
  ) {}

  private fail(problem: string): never {
    throw new Error(`${this.info.path}: ${problem}`);
  }

  private open(ref: ImageRef, input: string | Uint8Array = this.info.path, sequentialRead = false): Sharp {
    return sharp(input, {
      ...(typeof input === 'string' ? { page: ref.page, ...(ref.subIfd !== null ? { tiff: { subifd: ref.subIfd } } : {}) } : {}),
      limitInputPixels: false,
      // Vendor TIFFs carry private tags that libtiff warns about; only real decode errors fail.
      failOn: 'error',
      // OpenSlide applies no colour management either, so both backends give the same pixels.
      ignoreIcc: true,
      // Random access: regions are read in any order, and libvips caches load operations, so a
      // sequential loader reused for a second read of the same page fails "out of order read".
      // A streamed thumbnail reads top to bottom once and asks for sequential access.
      sequentialRead,
    });
  }

  /** Run a pipeline to RGB: alpha composited over white, grey to RGB, 8 bits. */
  private static async rgb(img: Sharp): Promise<RgbImage> {
    const { data, info } = await img
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels instead of 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }

  /** Decode with `build`, retrying once after flushing libvips' cache; errors name the file and `what`. */
  private async decodeWith(what: string, build: () => Sharp): Promise<RgbImage> {
    if (this.closed) this.fail('slide reader is closed');
    try {
      return await SharpSlideReader.rgb(build());
    } catch {
      // Most likely a consumed sequential load in libvips' cache (see flushLibvipsCache); a
      // genuinely corrupt file fails again and is reported below.
      flushLibvipsCache();
      try {
        return await SharpSlideReader.rgb(build());
      } catch (err) {
        this.fail(`cannot decode ${what} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
      }
    }
  }

  /** Decode all of `ref`, or the rectangle given. */
  private decode(ref: ImageRef, what: string, rect?: { left: number; top: number; width: number; height: number }): Promise<RgbImage> {
    return this.decodeWith(what, () => (rect ? this.open(ref).extract(rect) : this.open(ref)));
  }

  private bytes(): Promise<ByteSource> {
    if (!this.source) {
      this.source = openFileSource(this.info.path);
      this.source.catch(() => (this.source = null));
    }
    return this.source;
  }

  /** A rectangle of a stripped page, from the strips under it only (several bands if they are large). */
  private async readStrips(ref: ImageRef, what: string, x: number, y: number, w: number, h: number): Promise<RgbImage> {
    const src = await this.bytes();
    const g = ref.strips!;
    let bands;
    try {
      bands = await planStripBands(src, this.flavour!, ref.dir!, g, y, y + h, BAND_BYTES);
    } catch (err) {
      this.fail(`cannot read ${what} (${err instanceof Error ? err.message : String(err)})`);
    }
    const decodeBand = async (top: number, bottom: number, from: number, to: number): Promise<RgbImage> => {
      let band;
      try {
        band = await readStripBand(src, this.flavour!, ref.dir!, g, top, bottom);
      } catch (err) {
        this.fail(`cannot read ${what} (${err instanceof Error ? err.message : String(err)})`);
      }
      return this.decodeWith(what, () => this.open(ref, band.tiff).extract({ left: x, top: from - band.top, width: w, height: to - from }));
    };
    if (bands.length === 1) return decodeBand(bands[0]!.top, bands[0]!.bottom, y, y + h);
    // Bands one after another: only one band's strips are held at a time.
    const out: RgbImage = { width: w, height: h, data: new Uint8Array(w * h * 3) };
    for (const b of bands) {
      const from = Math.max(y, b.top);
      const to = Math.min(y + h, b.bottom);
      if (to > from) pasteInto(out, await decodeBand(b.top, b.bottom, from, to), 0, from - y);
    }
    return out;
  }

  async readRegion(level: number, x: number, y: number, w: number, h: number): Promise<RgbImage> {
    if (this.closed) this.fail('slide reader is closed');
    validateRegion(this.info.levels, level, x, y, w, h);
    const l = this.info.levels[level]!;
    const ref = this.levelRefs[level]!;
    return readClipped(l.width, l.height, x, y, w, h, async (cx, cy, cw, ch) => {
      const what = `level ${level} region ${cw}x${ch} at (${cx},${cy})`;
      if (ref.access === 'whole') {
        let whole = this.wholeLevels.get(level);
        if (!whole) {
          whole = this.decode(ref, `level ${level}`);
          this.wholeLevels.set(level, whole);
          whole.catch(() => this.wholeLevels.delete(level));
        }
        // Always a copy: callers may write into what they get without touching the cache.
        return cropImage(await whole, cx, cy, cw, ch);
      }
      if (ref.access === 'strips') return this.readStrips(ref, what, cx, cy, cw, ch);
      return this.decode(ref, what, { left: cx, top: cy, width: cw, height: ch });
    });
  }

  async readAssociated(name: string): Promise<RgbImage> {
    const ref = this.associated.get(name);
    if (!ref) this.fail(`no associated image '${name}' (available: ${this.info.associatedImages.join(', ') || 'none'})`);
    return this.decode(ref, `associated image '${name}'`);
  }

  /**
   * Small levels go through slideThumbnail (one region read). A large level without a smaller
   * pyramid level is streamed through libvips' own resize in one top-to-bottom pass (with JPEG's
   * shrink-on-load), so memory stays bounded and stripped pages and PNGs are decoded only once.
   */
  async thumbnail(maxSize: number): Promise<RgbImage> {
    const levels = this.info.levels;
    const size = thumbnailSize(levels[0]!.width, levels[0]!.height, maxSize);
    const level = thumbnailLevel(levels, size.width, size.height);
    const ref = this.levelRefs[level]!;
    if (ref.access === 'whole' || ref.width * ref.height <= DIRECT_THUMBNAIL_PIXELS) return slideThumbnail(this, maxSize);
    return this.decodeWith(`level ${level} thumbnail`, () =>
      this.open(ref, this.info.path, true).resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wholeLevels.clear();
    const src = this.source;
    this.source = null;
    if (src) await (await src.catch(() => null))?.close();
  }
}

/** Open a probed file with sharp; throws one line naming the file when sharp cannot read it. */
export async function openSharpSlide(probe: SlideProbe): Promise<SlideReader> {
  const support = sharpSupport(probe);
  if (!support.ok) throw new Error(`${probe.path}: ${support.reason}`);
  const base = { path: probe.path, reader: 'sharp', format: probe.format };

  if (probe.layout && probe.tiff) {
    const layout = probe.layout;
    const levels: SlideLevel[] = layout.levels.map(({ dir: _dir, ...level }) => level);
    const info: SlideInfo = {
      ...base,
      levels,
      mpp: layout.mpp,
      objectivePower: layout.objectivePower,
      associatedImages: [...layout.associated.keys()],
      properties: layout.properties,
      metadata: slideMetadata({ format: probe.format, properties: layout.properties, mpp: layout.mpp, objectivePower: layout.objectivePower }),
    };
    let refs: ImageRef[];
    try {
      refs = layout.levels.map((l) => tiffRef(l.dir));
    } catch (err) {
      throw new Error(`${probe.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Associated images (label, macro, thumbnail) are small and always decoded whole.
    const assoc = new Map([...layout.associated].map(([name, d]) => [name, { ...tiffRefBase(d), access: 'whole' as const }] as const));
    return new SharpSlideReader(info, refs, assoc, flavourOf(probe.tiff));
  }

  let meta;
  try {
    meta = await sharp(probe.path, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw new Error(`${probe.path}: corrupt or unreadable ${formatLabel(probe.format)} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
  }
  const { width, height } = meta;
  if (!width || !height) throw new Error(`${probe.path}: ${formatLabel(probe.format)} without an image size`);
  const mpp = meta.density ? 25400 / meta.density : null;
  const plausible = mpp !== null && mpp <= MAX_PLAUSIBLE_MPP ? { x: mpp, y: mpp } : null;
  const info: SlideInfo = {
    ...base,
    levels: [{ width, height, downsample: 1 }],
    mpp: plausible,
    objectivePower: null,
    associatedImages: [],
    properties: {},
    metadata: slideMetadata({ format: probe.format, properties: {}, mpp: plausible, objectivePower: null }),
  };
  let ref: ImageRef;
  try {
    ref = imageRef(formatLabel(probe.format), width, height);
  } catch (err) {
    throw new Error(`${probe.path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return new SharpSlideReader(info, [ref], new Map(), null);
}

function flavourOf(t: TiffStructure): TiffFlavour {
  return { littleEndian: t.littleEndian, bigTiff: t.bigTiff };
}
