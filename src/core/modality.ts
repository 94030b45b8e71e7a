/**
 * Imaging modality of a slide (brightfield or fluorescence), decided from a thumbnail's statistics
 * and the vendor metadata a reader exposes as flat properties. Pure: no I/O, runs in a browser.
 *
 * Why it matters: FocusLiteNN (and the tissue detector) were made for brightfield slides, where
 * stained tissue absorbs light on bright glass. A fluorescence slide is the opposite (emitted
 * light on a black background, one to a few channels): a brightfield verdict on it means nothing.
 *
 * The decision, in order (every step is recorded as a reason):
 *  1. explicit metadata (DICOM Illumination Type, OME IlluminationType / excitation and emission
 *     wavelengths, NDPI shading data with an excitation wavelength) decides when it says
 *     fluorescence or brightfield outright;
 *  2. otherwise the thumbnail: mostly black pixels with almost no glass-white ones is a dark
 *     background (fluorescence); a real share of glass-white pixels, or a bright median, is
 *     brightfield;
 *  3. an ambiguous thumbnail (tissue everywhere, mid-grey) is fluorescence when some colour
 *     channel carries no signal at all (99th percentile below OFF_CHANNEL: a one- or two-dye
 *     image; brightfield light passes every channel somewhere), or when weak metadata hints
 *     point there (several single-sample channels); else brightfield, the default that keeps
 *     existing behaviour.
 */
import type { RgbImage } from './image.js';

export type Modality = 'brightfield' | 'fluorescence';
/** what the user asked for: `auto` detects, the others force that processing */
export type ModalityMode = 'auto' | Modality;

export const MODALITY_MODES: readonly ModalityMode[] = ['auto', 'brightfield', 'fluorescence'];

export interface ThumbnailStats {
  readonly pixels: number;
  /** share of pixels whose brightest channel is below DARK_MAX: black background */
  readonly darkFraction: number;
  /** share of pixels whose darkest channel is above BRIGHT_MIN: glass, white */
  readonly brightFraction: number;
  /** median of (r + g + b) / 3, 0..255 */
  readonly medianLuma: number;
  /** 99th percentile of each channel (r, g, b) */
  readonly channelP99: readonly [number, number, number];
  /** true when r = g = b at every pixel (a grey or single-channel image) */
  readonly grey: boolean;
  /** share of pixels with a stain colour: pink/purple (H&E), brown (DAB), blue (haematoxylin) */
  readonly hueShares: { readonly pinkPurple: number; readonly brown: number; readonly blue: number };
}

/** a pixel whose brightest channel is below this is black background */
export const DARK_MAX = 50;
/** a pixel whose darkest channel is above this is glass-white */
export const BRIGHT_MIN = 200;
/** a colour channel whose 99th percentile is below this carries no signal */
export const OFF_CHANNEL = 40;

/** How many of the three colour channels carry signal (a grey image counts as one). */
export function activeChannels(s: ThumbnailStats): number {
  return s.grey ? 1 : s.channelP99.filter((v) => v >= OFF_CHANNEL).length;
}

function percentileOf(hist: Float64Array, count: number, p: number): number {
  const target = p * count;
  let acc = 0;
  for (let v = 0; v < hist.length; v++) {
    acc += hist[v]!;
    if (acc >= target && acc > 0) return v;
  }
  return hist.length - 1;
}

/** One pass over the thumbnail. */
export function thumbnailStats(img: RgbImage): ThumbnailStats {
  const n = img.width * img.height;
  if (img.data.length !== n * 3) throw new Error(`Expected ${n * 3} bytes for a ${img.width}x${img.height} RGB image but received ${img.data.length}`);
  if (n === 0) throw new Error('Expected a non-empty thumbnail');
  const d = img.data;
  const luma = new Float64Array(256);
  const ch = [new Float64Array(256), new Float64Array(256), new Float64Array(256)] as const;
  let dark = 0, bright = 0, grey = true, pink = 0, brown = 0, blue = 0;
  for (let i = 0, o = 0; i < n; i++, o += 3) {
    const r = d[o]!, g = d[o + 1]!, b = d[o + 2]!;
    ch[0][r]!++; ch[1][g]!++; ch[2][b]!++;
    luma[Math.round((r + g + b) / 3)]!++;
    const mx = Math.max(r, g, b), mn = Math.min(r, g, b);
    if (mx < DARK_MAX) dark++;
    if (mn > BRIGHT_MIN) bright++;
    if (r !== g || g !== b) grey = false;
    const delta = mx - mn;
    // Stain colours only on absorbing, saturated pixels (not glass, not black).
    if (mx < DARK_MAX || mn > BRIGHT_MIN || delta < 0.15 * mx) continue;
    let h = mx === r ? (g - b) / delta : mx === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
    h *= 60;
    if (h < 0) h += 360;
    if (h >= 260 || h < 10) pink++;
    else if (h >= 10 && h < 50) brown++;
    else if (h >= 200 && h < 260) blue++;
  }
  return {
    pixels: n,
    darkFraction: dark / n,
    brightFraction: bright / n,
    medianLuma: percentileOf(luma, n, 0.5),
    channelP99: [percentileOf(ch[0], n, 0.99), percentileOf(ch[1], n, 0.99), percentileOf(ch[2], n, 0.99)],
    grey,
    hueShares: { pinkPurple: pink / n, brown: brown / n, blue: blue / n },
  };
}

export type ImageEvidence = 'dark-background' | 'bright-background' | 'ambiguous';

/**
 * What the thumbnail alone says. Dark: at least half the pixels black and under 2% glass-white
 * (a brightfield slide always shows some glass, and its black pen or folds are never half of it).
 * Bright: at least 10% glass-white, or a median brightness of 170 or more.
 */
export function imageEvidence(s: ThumbnailStats): ImageEvidence {
  if (s.darkFraction >= 0.5 && s.brightFraction < 0.02) return 'dark-background';
  if (s.brightFraction >= 0.1 || s.medianLuma >= 170) return 'bright-background';
  return 'ambiguous';
}

export interface MetadataEvidence {
  /** what the metadata says outright, or null */
  readonly modality: Modality | null;
  /** true when a weak hint (several single-sample channels, one grey channel) points to fluorescence */
  readonly fluorescenceHint: boolean;
  /** one line per item found, for the report */
  readonly reasons: string[];
  /** channel / dye names and wavelengths found (e.g. "DAPI 2 (387)") */
  readonly channels: string[];
}

type Props = Readonly<Record<string, string>>;

function attr(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`).exec(tag);
  return m ? m[1]! : null;
}

/** OME-XML channels: illumination, dyes, wavelengths, samples per pixel. */
function omeEvidence(xml: string, out: { modality: Modality | null; hint: boolean; reasons: string[]; channels: string[] }): void {
  const tags = xml.match(/<(?:\w+:)?Channel\b[^>]*>/g) ?? [];
  let fluor = false, transmitted = false, single = 0;
  for (const t of tags) {
    const illum = attr(t, 'IlluminationType');
    const mode = attr(t, 'AcquisitionMode') ?? attr(t, 'ContrastMethod');
    const name = attr(t, 'Fluor') ?? attr(t, 'Name');
    const ex = attr(t, 'ExcitationWavelength'), em = attr(t, 'EmissionWavelength');
    if (/epifluorescence|fluorescence/i.test(illum ?? '') || /fluorescen|confocal|tirf|spinning/i.test(mode ?? '') || attr(t, 'Fluor') || (ex && Number(ex) > 0) || (em && Number(em) > 0)) fluor = true;
    if (/transmitted/i.test(illum ?? '') || /brightfield/i.test(mode ?? '')) transmitted = true;
    if (attr(t, 'SamplesPerPixel') === '1') single++;
    if (name) out.channels.push(ex || em ? `${name}${ex ? ` ex ${ex}` : ''}${em ? ` em ${em}` : ''}` : name);
  }
  if (fluor) {
    out.modality = 'fluorescence';
    out.reasons.push(`OME-XML: ${tags.length} channel(s) with fluorescence illumination, dye or wavelengths`);
  } else if (transmitted) {
    out.modality = 'brightfield';
    out.reasons.push('OME-XML: transmitted-light (brightfield) channels');
  } else if (single >= 2) {
    out.hint = true;
    out.reasons.push(`OME-XML: ${single} single-sample channels (multiplexed images are usually fluorescence)`);
  }
}

/** Hamamatsu NDPI: OpenSlide splits the shading block into odd keys; look for excitation wavelengths in any. */
function ndpiEvidence(p: Props, out: { modality: Modality | null; hint: boolean; reasons: string[]; channels: string[] }): void {
  for (const [k, v] of Object.entries(p)) {
    if (!k.startsWith('hamamatsu.')) continue;
    const text = `${k}=${v}`;
    const ex = /ExcitationWaveLength=(\d+(?:\.\d+)?)/.exec(text);
    if (!ex || !(Number(ex[1]) > 0)) continue;
    const em = /EmissionWaveLength=(\d+(?:\.\d+)?)/.exec(text);
    const name = /;Name=([^;\r\n]*)/.exec(text)?.[1]?.trim();
    out.modality = 'fluorescence';
    out.reasons.push(`NDPI shading data: excitation ${ex[1]} nm${em && Number(em[1]) > 0 ? `, emission ${em[1]} nm` : ''}${name ? ` (${name})` : ''}`);
    out.channels.push(`${name || 'channel'} ex ${ex[1]}${em && Number(em[1]) > 0 ? ` em ${em[1]}` : ''}`);
  }
}

/** What a slide's properties (OpenSlide-style flat keys, as every focuslite reader exposes them) say. */
export function metadataEvidence(format: string, p: Props): MetadataEvidence {
  const out = { modality: null as Modality | null, hint: false, reasons: [] as string[], channels: [] as string[] };
  const illum = p['dicom.IlluminationType'];
  if (illum) {
    if (/fluorescen/i.test(illum)) {
      out.modality = 'fluorescence';
      out.reasons.push(`DICOM Illumination Type: ${illum}`);
    } else if (/bright|transmi/i.test(illum)) {
      out.modality = 'brightfield';
      out.reasons.push(`DICOM Illumination Type: ${illum}`);
    }
  }
  const paths = Number(p['dicom.NumberOfOpticalPaths'] ?? 1);
  if (out.modality === null && /^MONOCHROME/.test(p['dicom.PhotometricInterpretation'] ?? '') && paths > 1) {
    out.hint = true;
    out.reasons.push(`DICOM: ${paths} monochrome optical paths (multiplexed images are usually fluorescence)`);
  }
  if (format === 'ome-tiff' || /<(?:\w+:)?OME\b/.test(p['tiff.ImageDescription'] ?? '')) omeEvidence(p['tiff.ImageDescription'] ?? '', out);
  if (format === 'ndpi' || p['openslide.vendor'] === 'hamamatsu') ndpiEvidence(p, out);
  return { modality: out.modality, fluorescenceHint: out.hint, reasons: out.reasons, channels: out.channels };
}

export interface ModalityDecision {
  readonly modality: Modality;
  /** which input decided: explicit metadata, the thumbnail, a weak metadata hint, or the default */
  readonly basis: 'metadata' | 'thumbnail' | 'hint' | 'default';
  readonly image: ImageEvidence;
  readonly reasons: string[];
  /** cheap hints about the stain, never decisive (e.g. "H&E-like colours") */
  readonly stainHints: string[];
}

const pct = (f: number): string => `${Number((f * 100).toFixed(1))}%`;

/** Stain hints from the thumbnail's colours and the channels the metadata names. */
export function stainHints(modality: Modality, s: ThumbnailStats, channels: readonly string[]): string[] {
  const hints = [...channels];
  if (modality === 'fluorescence') {
    const names = ['red', 'green', 'blue'];
    const active = s.channelP99.map((v, i) => (v >= OFF_CHANNEL ? names[i]! : null)).filter((x): x is string => x !== null);
    if (s.grey) hints.push('one grey channel');
    else if (active.length === 1 && active[0] === 'blue') hints.push('signal in the blue channel only (nuclear stain such as DAPI or Hoechst)');
    else if (active.length > 0) hints.push(`signal in the ${active.join(', ')} channel${active.length > 1 ? 's' : ''}`);
    return hints;
  }
  const { pinkPurple, brown, blue } = s.hueShares;
  const stained = pinkPurple + brown + blue;
  if (stained < 0.01) return hints;
  if (brown >= 0.02 && brown >= 0.1 * stained) hints.push(`brown (DAB-like) on ${pct(brown)} of the thumbnail: IHC?`);
  if (pinkPurple >= 0.5 * stained) hints.push('pink/purple colours (H&E-like)');
  else if (blue >= 0.5 * stained) hints.push('mostly blue (haematoxylin-like counterstain)');
  return hints;
}

/** The modality of a slide; see the file comment for the order of the rules. */
export function decideModality(stats: ThumbnailStats, meta: MetadataEvidence): ModalityDecision {
  const image = imageEvidence(stats);
  const reasons = [
    `thumbnail: ${pct(stats.darkFraction)} black (max channel < ${DARK_MAX}), ${pct(stats.brightFraction)} glass-white (min channel > ${BRIGHT_MIN}), median brightness ${stats.medianLuma}${stats.grey ? ', grey' : ''} -> ${image}`,
    ...meta.reasons,
  ];
  let modality: Modality;
  let basis: ModalityDecision['basis'];
  if (meta.modality !== null) {
    modality = meta.modality;
    basis = 'metadata';
    const imageSays = image === 'dark-background' ? 'fluorescence' : image === 'bright-background' ? 'brightfield' : null;
    if (imageSays !== null && imageSays !== modality) reasons.push(`the thumbnail looks ${imageSays}, but the metadata is explicit`);
  } else if (image === 'dark-background') {
    modality = 'fluorescence';
    basis = 'thumbnail';
  } else if (image === 'bright-background') {
    modality = 'brightfield';
    basis = 'thumbnail';
    if (meta.fluorescenceHint) reasons.push('a metadata hint points to fluorescence, but the thumbnail shows a bright background');
  } else if (!stats.grey && activeChannels(stats) < 3) {
    modality = 'fluorescence';
    basis = 'thumbnail';
    reasons.push(`only ${activeChannels(stats)} of 3 colour channels carry signal (99th percentile >= ${OFF_CHANNEL})`);
  } else if (meta.fluorescenceHint) {
    modality = 'fluorescence';
    basis = 'hint';
  } else {
    modality = 'brightfield';
    basis = 'default';
  }
  return { modality, basis, image, reasons, stainHints: stainHints(modality, stats, meta.channels) };
}

/**
 * The fluorescence signal as a grey RGB image: each pixel's brightest channel, replicated. A
 * one-dye image (DAPI in blue) then has its signal in every channel, so gray-based measures see
 * it at full strength instead of at the blue weight of a luminance formula (0.114 in MATLAB's
 * rgb2gray, where a DAPI nucleus of 72 would be a gray of 8: background to HVS-MaxPol).
 */
export function fluorescenceSignal(img: RgbImage): RgbImage {
  const d = img.data;
  const out = new Uint8Array(d.length);
  for (let o = 0; o < d.length; o += 3) {
    const r = d[o]!, g = d[o + 1]!, b = d[o + 2]!;
    const m = r > g ? (r > b ? r : b) : g > b ? g : b;
    out[o] = out[o + 1] = out[o + 2] = m;
  }
  return { width: img.width, height: img.height, data: out };
}
