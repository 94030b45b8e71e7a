/**
 * What a TIFF's pages mean for a whole-slide reader: which vendor wrote it, which pages are the
 * pyramid levels, which are thumbnail / label / macro images, and the pixel size. Pure functions
 * over the directories read by tiff-tags.ts.
 */
import type { SlideLevel } from './types.js';
import { TiffTag, type TiffDirectory, type TiffStructure } from './tiff-tags.js';

export type TiffFormat =
  | 'aperio-svs'
  | 'ome-tiff'
  | 'ndpi'
  | 'philips-tiff'
  | 'leica-scn'
  | 'ventana-bif'
  | 'trestle'
  | 'generic-tiff';

export interface TiffLevel extends SlideLevel {
  readonly dir: TiffDirectory;
}

export interface TiffLayout {
  readonly format: TiffFormat;
  /** Largest first; downsample relative to levels[0]. */
  readonly levels: readonly TiffLevel[];
  readonly associated: ReadonlyMap<string, TiffDirectory>;
  readonly mpp: { x: number; y: number } | null;
  readonly objectivePower: number | null;
  readonly properties: Record<string, string>;
}

const COMPRESSION_NAMES: Record<number, string> = {
  1: 'uncompressed',
  2: 'CCITT RLE',
  3: 'CCITT Group 3',
  4: 'CCITT Group 4',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  8: 'Deflate',
  32773: 'PackBits',
  32946: 'Deflate',
  33003: 'JPEG 2000 (Aperio YCbCr)',
  33005: 'JPEG 2000 (Aperio RGB)',
  34712: 'JPEG 2000',
  34887: 'LERC',
  34925: 'LZMA',
  50000: 'Zstandard',
  50001: 'WebP',
  50002: 'JPEG XL',
  52546: 'JPEG XL',
};

export function compressionName(code: number): string {
  return COMPRESSION_NAMES[code] ?? `unknown compression ${code}`;
}

export function isJpeg2000(code: number): boolean {
  return code === 33003 || code === 33005 || code === 34712;
}

/** Which scanner / convention wrote the file, from the first page (OpenSlide's vendor checks). */
export function tiffFormat(t: TiffStructure): TiffFormat {
  const p = t.pages[0]!;
  const desc = p.description ?? '';
  if (p.tags.has(TiffTag.NdpiFormatFlag)) return 'ndpi';
  if (desc.startsWith('Aperio')) return 'aperio-svs';
  if ((p.software ?? '').startsWith('Philips')) return 'philips-tiff';
  if (desc.includes('leica-microsystems.com/scn')) return 'leica-scn';
  if ((p.xmp ?? '').includes('iScan') || t.pages.some((d) => (d.xmp ?? '').includes('iScan'))) return 'ventana-bif';
  if ((p.software ?? '').startsWith('MedScan')) return 'trestle';
  if (/<OME[\s>]/.test(desc)) return 'ome-tiff';
  return 'generic-tiff';
}

/** Aperio's ImageDescription: a header, then `|key = value` pairs (MPP, AppMag, ...). */
export function parseAperioDescription(desc: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of desc.split('|').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    if (key) out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

// Micrometres per unit for OME's PhysicalSize units (the default unit is the micrometre).
const OME_UNITS: Record<string, number> = {
  'µm': 1, 'μm': 1, um: 1, micron: 1, nm: 1e-3, 'Å': 1e-4, mm: 1e3, cm: 1e4, m: 1e6,
};

function xmlAttr(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag);
  return m ? m[1]! : null;
}

/** PhysicalSizeX/Y of the first <Pixels> element of OME-XML, in micrometres. */
export function omePhysicalSize(xml: string): { x: number; y: number } | null {
  const tag = /<(?:\w+:)?Pixels\s[^>]*>/.exec(xml)?.[0];
  if (!tag) return null;
  const size = (axis: 'X' | 'Y'): number | null => {
    const v = Number(xmlAttr(tag, `PhysicalSize${axis}`));
    const unit = OME_UNITS[xmlAttr(tag, `PhysicalSize${axis}Unit`) ?? 'µm'];
    return Number.isFinite(v) && v > 0 && unit !== undefined ? v * unit : null;
  };
  const x = size('X');
  const y = size('Y') ?? x;
  return x !== null && y !== null ? { x, y } : null;
}

function omeObjective(xml: string): number | null {
  const tag = /<(?:\w+:)?Objective\s[^>]*>/.exec(xml)?.[0];
  const v = tag ? Number(xmlAttr(tag, 'NominalMagnification')) : NaN;
  return Number.isFinite(v) && v > 0 ? v : null;
}

// Resolution tags above this many micrometres per pixel are screen or document defaults
// (72 dpi = 353 µm, libvips' 1 px/mm = 1000 µm), not a microscope's sampling.
export const MAX_PLAUSIBLE_MPP = 50;

/** Micrometres per pixel from X/YResolution when the unit is inch or centimetre and plausible. */
export function resolutionMpp(d: TiffDirectory): { x: number; y: number } | null {
  const perUnit = d.resolutionUnit === 2 ? 25400 : d.resolutionUnit === 3 ? 10000 : 0;
  if (!perUnit || !d.xResolution || !d.yResolution) return null;
  const x = perUnit / d.xResolution;
  const y = perUnit / d.yResolution;
  return x <= MAX_PLAUSIBLE_MPP && y <= MAX_PLAUSIBLE_MPP ? { x, y } : null;
}

function positiveNumber(s: string | undefined): number | null {
  const v = Number(s);
  return s !== undefined && s.trim() !== '' && Number.isFinite(v) && v > 0 ? v : null;
}

function toLevels(dirs: TiffDirectory[]): TiffLevel[] {
  const sorted = [...dirs].sort((a, b) => b.width * b.height - a.width * a.height);
  const base = sorted[0]!;
  return sorted.map((dir) => ({
    width: dir.width,
    height: dir.height,
    // OpenSlide's definition, so both backends report the same numbers.
    downsample: (base.width / dir.width + base.height / dir.height) / 2,
    ...(dir.tileWidth && dir.tileHeight ? { tileWidth: dir.tileWidth, tileHeight: dir.tileHeight } : {}),
    dir,
  }));
}

/**
 * Same picture as `base`, only smaller: some downsample maps base onto d within a pixel's
 * rounding on both axes (pyramid writers round each halving, so ratios drift on small levels).
 */
function isReducedCopy(base: TiffDirectory, d: TiffDirectory): boolean {
  if (d.width >= base.width || d.height >= base.height) return false;
  const lo = Math.max(base.width / (d.width + 1), base.height / (d.height + 1));
  const hi = Math.min(base.width / Math.max(d.width - 1, 0.5), base.height / Math.max(d.height - 1, 0.5));
  return lo <= hi * 1.01;
}

function associatedName(desc: string | null): string | null {
  const name = (desc ?? '').trim().toLowerCase();
  return name === 'label' || name === 'macro' || name === 'thumbnail' ? name : null;
}

/** Aperio: tiled pages are levels; page 1 (stripped) is the thumbnail; label/macro are named on line 2. */
function aperioLayout(t: TiffStructure): Pick<TiffLayout, 'levels' | 'associated'> {
  const levels: TiffDirectory[] = [];
  const associated = new Map<string, TiffDirectory>();
  for (const d of t.pages) {
    if (d.tileWidth) {
      levels.push(d);
    } else if (d.page === 1) {
      associated.set('thumbnail', d);
    } else {
      const word = (d.description ?? '').split(/\r?\n/)[1]?.trim().split(/\s+/)[0]?.toLowerCase();
      const name = word === 'label' || word === 'macro' ? word : d.subfileType & 8 ? 'macro' : d.subfileType & 1 ? 'label' : null;
      if (name && !associated.has(name)) associated.set(name, d);
    }
  }
  if (levels.length === 0) levels.push(t.pages[0]!);
  return { levels: toLevels(levels), associated };
}

/**
 * Generic / OME TIFF: level 0 is the first page; reduced copies come either from its SubIFDs
 * (OME-TIFF and libvips subifd pyramids) or from later pages (libvips page pyramids, flagged
 * NewSubfileType = 1). Same-size pages (channels, z-planes) are not levels.
 */
function genericLayout(t: TiffStructure): Pick<TiffLayout, 'levels' | 'associated'> {
  const base = t.pages[0]!;
  const associated = new Map<string, TiffDirectory>();
  const levels: TiffDirectory[] = [base];
  const candidates = base.subIfds.length > 0 ? base.subIfds : t.pages.slice(1);
  for (const d of t.pages.slice(1)) {
    const name = associatedName(d.description);
    if (name && !associated.has(name)) associated.set(name, d);
  }
  for (const d of candidates) {
    if (associatedName(d.description)) continue;
    const last = levels[levels.length - 1]!;
    if (isReducedCopy(base, d) && d.width < last.width) levels.push(d);
  }
  return { levels: toLevels(levels), associated };
}

function unitName(unit: number): string {
  return unit === 2 ? 'inch' : unit === 3 ? 'centimeter' : 'none';
}

/** OpenSlide-style tiff.* properties of the first page. */
function tiffProperties(d: TiffDirectory): Record<string, string> {
  const p: Record<string, string> = {};
  if (d.description) p['tiff.ImageDescription'] = d.description;
  if (d.software) p['tiff.Software'] = d.software;
  if (d.make) p['tiff.Make'] = d.make;
  if (d.model) p['tiff.Model'] = d.model;
  if (d.dateTime) p['tiff.DateTime'] = d.dateTime;
  if (d.xResolution) p['tiff.XResolution'] = String(d.xResolution);
  if (d.yResolution) p['tiff.YResolution'] = String(d.yResolution);
  p['tiff.ResolutionUnit'] = unitName(d.resolutionUnit);
  return p;
}

export function tiffLayout(t: TiffStructure): TiffLayout {
  const format = tiffFormat(t);
  const first = t.pages[0]!;
  const properties = tiffProperties(first);
  let mpp = resolutionMpp(first);
  let objectivePower: number | null = null;

  if (format === 'aperio-svs') {
    const kv = parseAperioDescription(first.description ?? '');
    for (const [k, v] of Object.entries(kv)) properties[`aperio.${k}`] = v;
    const m = positiveNumber(kv['MPP']);
    if (m !== null) mpp = { x: m, y: m };
    objectivePower = positiveNumber(kv['AppMag']);
    return { format, ...aperioLayout(t), mpp, objectivePower, properties };
  }
  if (format === 'ome-tiff') {
    const xml = first.description ?? '';
    mpp = omePhysicalSize(xml) ?? mpp;
    objectivePower = omeObjective(xml);
  }
  return { format, ...genericLayout(t), mpp, objectivePower, properties };
}
