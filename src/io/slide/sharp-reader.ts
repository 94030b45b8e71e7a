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
import { readClipped, validateRegion } from './region.js';
import { slideThumbnail } from './thumbnail.js';
import type { TiffDirectory } from './tiff-tags.js';
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

/** Where one image of the file lives: a TIFF page, possibly one of its SubIFDs. */
interface ImageRef {
  readonly page: number;
  readonly subIfd: number | null;
  /**
   * Decode the whole image once and crop regions from memory. For PNG/JPEG/WebP (no partial
   * decoding) and for stripped TIFF pages: libvips reads some of those (e.g. Aperio's RGB JPEG
   * strips) only top to bottom, so out-of-order region reads of them fail.
   */
  readonly whole: boolean;
}

// Whole decodes are kept up to this size (192 MiB of RGB); larger images are read per region.
const MAX_CACHED_PIXELS = 2 ** 26;

function refOf(d: TiffDirectory): ImageRef {
  return { page: d.page, subIfd: d.subIfd, whole: d.tileWidth === null && d.width * d.height <= MAX_CACHED_PIXELS };
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

  constructor(
    readonly info: SlideInfo,
    private readonly levelRefs: readonly ImageRef[],
    private readonly associated: ReadonlyMap<string, ImageRef>,
  ) {}

  private fail(problem: string): never {
    throw new Error(`${this.info.path}: ${problem}`);
  }

  private open(ref: ImageRef): Sharp {
    return sharp(this.info.path, {
      page: ref.page,
      ...(ref.subIfd !== null ? { tiff: { subifd: ref.subIfd } } : {}),
      limitInputPixels: false,
      // Vendor TIFFs carry private tags that libtiff warns about; only real decode errors fail.
      failOn: 'error',
      // OpenSlide applies no colour management either, so both backends give the same pixels.
      ignoreIcc: true,
      // Random access: regions are read in any order, and libvips caches load operations, so a
      // sequential loader reused for a second read of the same page fails "out of order read".
      sequentialRead: false,
    });
  }

  /** Decode all of `ref`, or the rectangle given, to RGB: alpha composited over white, grey to RGB, 8 bits. */
  private async decode(ref: ImageRef, what: string, rect?: { left: number; top: number; width: number; height: number }): Promise<RgbImage> {
    if (this.closed) this.fail('slide reader is closed');
    const run = async (): Promise<RgbImage> => {
      let img = this.open(ref);
      if (rect) img = img.extract(rect);
      const { data, info } = await img
        .flatten({ background: '#ffffff' })
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.channels !== 3) throw new Error(`decoded ${info.channels} channels instead of 3`);
      return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
    };
    try {
      return await run();
    } catch {
      // Most likely a consumed sequential load in libvips' cache (see flushLibvipsCache); a
      // genuinely corrupt file fails again and is reported below.
      flushLibvipsCache();
      try {
        return await run();
      } catch (err) {
        this.fail(`cannot decode ${what} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
      }
    }
  }

  async readRegion(level: number, x: number, y: number, w: number, h: number): Promise<RgbImage> {
    if (this.closed) this.fail('slide reader is closed');
    validateRegion(this.info.levels, level, x, y, w, h);
    const l = this.info.levels[level]!;
    const ref = this.levelRefs[level]!;
    return readClipped(l.width, l.height, x, y, w, h, async (cx, cy, cw, ch) => {
      if (ref.whole) {
        let whole = this.wholeLevels.get(level);
        if (!whole) {
          whole = this.decode(ref, `level ${level}`);
          this.wholeLevels.set(level, whole);
          whole.catch(() => this.wholeLevels.delete(level));
        }
        // Always a copy: callers may write into what they get without touching the cache.
        return cropImage(await whole, cx, cy, cw, ch);
      }
      return this.decode(ref, `level ${level} region ${cw}x${ch} at (${cx},${cy})`, { left: cx, top: cy, width: cw, height: ch });
    });
  }

  async readAssociated(name: string): Promise<RgbImage> {
    const ref = this.associated.get(name);
    if (!ref) this.fail(`no associated image '${name}' (available: ${this.info.associatedImages.join(', ') || 'none'})`);
    return this.decode(ref, `associated image '${name}'`);
  }

  thumbnail(maxSize: number): Promise<RgbImage> {
    return slideThumbnail(this, maxSize);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wholeLevels.clear();
  }
}

/** Open a probed file with sharp; throws one line naming the file when sharp cannot read it. */
export async function openSharpSlide(probe: SlideProbe): Promise<SlideReader> {
  const support = sharpSupport(probe);
  if (!support.ok) throw new Error(`${probe.path}: ${support.reason}`);
  const base = { path: probe.path, reader: 'sharp', format: probe.format };

  if (probe.layout) {
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
    const assoc = new Map([...layout.associated].map(([name, d]) => [name, refOf(d)] as const));
    return new SharpSlideReader(info, layout.levels.map((l) => refOf(l.dir)), assoc);
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
  return new SharpSlideReader(info, [{ page: 0, subIfd: null, whole: width * height <= MAX_CACHED_PIXELS }], new Map());
}
