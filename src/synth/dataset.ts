/**
 * `focuslite synth`: a synthetic defocus dataset in the FocusPath layout, made from in-focus tiles.
 *
 *   <out>/images/<name>_z<z>.png   z = 0..levels, the source blurred with the defocus PSF of level z
 *   <out>/list.txt                 one row per image, FocusPath's list format (no header):
 *                                  name.tif,slide,strip,slice,position,score,z-level
 *                                  names are listed as .tif while stored as .png, exactly as FocusPath;
 *                                  slide = 1-based index of the source tile (the group for splits),
 *                                  strip = 0, slice = z, position = 0,
 *                                  score = the PSF's disk radius in px, z-level = z (target |z|);
 *                                  with --psf diffraction: score = z-level = the defocus in µm
 *   <out>/manifest.json            parameters, sources (sha256, crop, skip reasons), every file's
 *                                  sha256, and a manifest hash
 *
 * Source handling: alpha is dropped; a tile larger than --size in a dimension is cropped at a
 * seeded random offset, a smaller one is mirror-padded around its centre (half-sample symmetric,
 * like the blur's borders) up to the size. Tiles that cannot serve as in-focus sources are skipped
 * with a reason: smaller than MIN_SOURCE_SIDE px, mostly background (tissue pixels < 10 %), or
 * without in-focus detail (pen marks, smudges: < 2 % tissue pixels with a strong Laplacian).
 * Crops of large tiles are retried at up to CROP_ATTEMPTS seeded offsets before giving up.
 *
 * PSFs (--psf): `disk` (default) is the disk+Gaussian model of defocus.ts in pixels per level;
 * `diffraction` is the scalar-diffraction defocus PSF of optics.ts, in physical units: level z is
 * a defocus of z · zStepUm µm, imaged at the objective's NA per colour channel at its wavelength,
 * applied at the source tile's own MPP (from its file's resolution, else --source-mpp) and then
 * resampled to the target MPP (--mpp; area-averaged down, Lanczos-3 up, as `slide` does). So a
 * 20x source (0.5 µm/px) made at --mpp 0.25 is a simulated 40x image of the same optics. Level 0
 * gets the in-focus (diffraction-limited) PSF, so the z-stack changes continuously with z.
 * Augmentations (diffraction only, drawn once per tile so that its z-stack differs only in
 * focus): an annular pupil (a share of tiles), mild motion / vibration blur and H&E/IHC stain
 * jitter in optical-density space (stain.ts); each tile's draws are in the manifest.
 *
 * Determinism: every random draw is seeded from (--seed, the source's sha256, purpose[, z]), so
 * a tile's images do not depend on the order or number of other sources, and two runs with the
 * same inputs and seed give byte-identical files and the same manifest hash.
 *
 * Atomicity: each file is written to a temporary name and renamed; list.txt and manifest.json are
 * written last (and removed first when re-running into the same folder), so an interrupted run
 * never looks complete.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import type { RgbImage } from '../core/image.js';
import { decodeImage, probeImage } from '../io/decode.js';
import { encodePng, jpegRoundTrip } from '../io/encode.js';
import { expandInputs } from '../io/inputs.js';
import { writeFileAtomicSync } from '../io/atomic.js';
import { Mulberry32, deriveSeed } from '../core/random.js';
import { DEFAULT_DEFOCUS, addSensorNoise, defocusImage, defocusRadius, reflectIndex, type DefocusParams } from './defocus.js';
import { finiteNumber, integer, oneOf } from '../core/check.js';
import { AS_STORED_TOLERANCE, resampleToMpp } from '../core/resample.js';
import { DEFAULT_OPTICS, composeKernels, diffractionKernels, motionKernel, type Optics } from './optics.js';
import { convolveChannels } from './convolve.js';
import { drawStainJitter, jitterStains, type StainJitter } from './stain.js';
import type { Kernel2D } from './defocus.js';
import { codecVersions, readImageHeader } from '../io/image-header.js';
import { assessTissue, rejectReason, TISSUE_RULES, type TissueAssessment } from '../core/tissue/source-tile.js';

export const SYNTH_FORMAT = 'focuslite-synth';
export const SYNTH_VERSION = 1;
export const MIN_SOURCE_SIDE = 64;
export const CROP_ATTEMPTS = 8;

// The source-tile check (background, pen marks) lives with tissue detection in core.
export { assessTissue, rejectReason, TISSUE_RULES, type TissueAssessment } from '../core/tissue/source-tile.js';

/** Copy a w x h window starting at (x0, y0), mirroring coordinates that fall outside the image. */
export function mirroredWindow(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  const xs = new Int32Array(w);
  for (let x = 0; x < w; x++) xs[x] = reflectIndex(x0 + x, img.width);
  for (let y = 0; y < h; y++) {
    const row = reflectIndex(y0 + y, img.height) * img.width;
    for (let x = 0; x < w; x++) {
      const s = (row + xs[x]!) * 3, d = (y * w + x) * 3;
      out[d] = img.data[s]!;
      out[d + 1] = img.data[s + 1]!;
      out[d + 2] = img.data[s + 2]!;
    }
  }
  return { width: w, height: h, data: out };
}

export interface CropPlan {
  /** the window of the source actually used (inside the source) */
  x: number;
  y: number;
  width: number;
  height: number;
  /** true when the window was mirror-padded up to the output size */
  padded: boolean;
}

/**
 * Where to take a size x size sample from a source: per axis, a seeded random offset when the
 * source is larger, the whole extent (to be mirror-padded around its centre) when smaller.
 */
export function planCrop(srcWidth: number, srcHeight: number, size: number, rng: Mulberry32): CropPlan {
  const axis = (len: number): [number, number] => (len > size ? [rng.int(len - size + 1), size] : [0, len]);
  const [x, width] = axis(srcWidth);
  const [y, height] = axis(srcHeight);
  return { x, y, width, height, padded: width < size || height < size };
}

/** The size x size image of a plan: the window itself, mirror-padded around its centre when short. */
export function applyCropPlan(src: RgbImage, plan: CropPlan, size: number): RgbImage {
  const window = mirroredWindow(src, plan.x, plan.y, plan.width, plan.height);
  if (!plan.padded) return window;
  return mirroredWindow(window, -Math.floor((size - plan.width) / 2), -Math.floor((size - plan.height) / 2), size, size);
}

export type SynthPsf = 'disk' | 'diffraction';
export const SYNTH_PSFS: readonly SynthPsf[] = ['disk', 'diffraction'];

/** Augmentations of the diffraction PSF, drawn once per source tile. */
export interface SynthAugment {
  /** share of tiles imaged through an annular pupil (0..1) */
  annular: number;
  /** the annular pupil's central obscuration (fraction of the pupil radius) */
  obscuration: number;
  /** largest motion / vibration path in µm (uniform 0..this, random direction); 0 = none */
  motionUm: number;
  /** stain jitter strength (alpha in 1 ± sigma, beta in ± sigma/4 per stain); 0 = none */
  stain: number;
}

export const NO_AUGMENT: SynthAugment = Object.freeze({ annular: 0, obscuration: 0.5, motionUm: 0, stain: 0 });

/** What one tile got from the augmentations (recorded in the manifest). */
export interface TileAugment {
  obscuration: number;
  motionUm: number;
  motionAngle: number;
  motionProfile: 'linear' | 'vibration';
  stain: StainJitter | null;
}

export interface SynthOptions {
  /** source tiles: files, folders (searched recursively) or glob patterns */
  inputs: readonly string[];
  outDir: string;
  /** highest z; images are made for z = 0..levels (default 10) */
  levels?: number;
  /** output side in px (default 1024) */
  size?: number;
  seed?: number;
  /** Gaussian sensor noise sigma in 8-bit units, 0 = none (default 2) */
  noise?: number;
  /** JPEG round-trip quality 1..100, or null for none (default 90) */
  jpeg?: number | null;
  /** stop after this many usable source tiles */
  maxTiles?: number;
  defocus?: DefocusParams;
  /** PSF model (default 'disk') */
  psf?: SynthPsf;
  /** diffraction: the objective and camera channels */
  optics?: Optics;
  /** diffraction: µm of defocus per level (default 0.5) */
  zStepUm?: number;
  /** diffraction: MPP of sources whose file records none */
  sourceMpp?: number;
  /** diffraction: output MPP (default: each source's own) */
  targetMpp?: number;
  /** diffraction: augmentations (default none) */
  augment?: SynthAugment;
  /** called after each source tile (used or skipped); may throw to abort */
  onProgress?: (event: SynthProgress) => void;
}

export interface SynthProgress {
  done: number;
  total: number;
  source: SourceRecord;
}

export interface SourceRecord {
  path: string;
  sha256: string;
  width: number;
  height: number;
  status: 'used' | 'skipped';
  reason?: string;
  /** output name stem and list 'slide' number, when used */
  name?: string;
  slide?: number;
  crop?: CropPlan;
  tissueFraction?: number;
  detailFraction?: number;
  /** diffraction: the source's µm/px, where it came from, and the µm/px it was rendered at */
  mpp?: number;
  mppFrom?: 'file' | 'option';
  renderedMpp?: number;
  augment?: TileAugment;
}

export interface SynthFile {
  /** relative to the output folder, '/'-separated */
  path: string;
  /** the name as listed in list.txt */
  listed: string;
  sha256: string;
  z: number;
  source: string;
}

export interface SynthManifest {
  format: typeof SYNTH_FORMAT;
  version: number;
  parameters: {
    levels: number;
    size: number;
    seed: number;
    noise: number;
    jpeg: number | null;
    maxTiles: number | null;
    defocus: DefocusParams;
    /** absent in version-1 manifests: disk */
    psf?: SynthPsf;
    optics?: Optics;
    zStepUm?: number;
    sourceMpp?: number | null;
    targetMpp?: number | null;
    augment?: SynthAugment;
    tissueRules: typeof TISSUE_RULES;
    minSourceSide: number;
  };
  encoder: { sharp: string; vips: string };
  sources: SourceRecord[];
  files: SynthFile[];
  list: { path: string; sha256: string; rows: number };
  /** sha256 of the canonical JSON of everything else, with source paths left out (see manifestHash) */
  manifestHash: string;
}

export interface SynthResult {
  outDir: string;
  listPath: string;
  manifestPath: string;
  manifestHash: string;
  images: number;
  used: SourceRecord[];
  skipped: SourceRecord[];
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted at every level (a stable text to hash). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The manifest hash: sha256 of the canonical JSON of the manifest without `manifestHash` and
 * without the sources' paths, so it identifies the dataset's content and recipe, not where the
 * sources happened to live.
 */
export function manifestHash(manifest: Omit<SynthManifest, 'manifestHash'> | SynthManifest): string {
  const { manifestHash: _omit, ...rest } = manifest as SynthManifest;
  const sources = rest.sources.map(({ path: _path, ...s }) => s);
  return sha256(canonicalJson({ ...rest, sources }));
}

/** A file-name stem safe for list.txt (no commas) and any file system. */
function safeStem(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return stem || 'tile';
}

const OWN_ENTRIES = new Set(['images', 'list.txt', 'manifest.json']);
const isOwnTmp = (name: string): boolean => /^\.(list\.txt|manifest\.json)\..*\.tmp$/.test(name);

/**
 * Make sure the output folder is new, empty, or an earlier synth output (complete or interrupted),
 * then remove the completion markers so this run only looks complete once it is.
 */
function prepareOutDir(outDir: string): void {
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new Error(`${outDir}: output exists and is not a folder`);
    const foreign = readdirSync(outDir).filter((e) => !OWN_ENTRIES.has(e) && !isOwnTmp(e));
    if (foreign.length > 0) {
      throw new Error(`${outDir}: output folder holds other files (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); choose a new or empty folder`);
    }
    const manifest = join(outDir, 'manifest.json');
    if (existsSync(manifest)) {
      let format: unknown;
      try {
        format = (JSON.parse(readFileSync(manifest, 'utf8')) as { format?: unknown }).format;
      } catch {
        format = undefined;
      }
      if (format !== SYNTH_FORMAT) throw new Error(`${manifest}: not a focuslite synth manifest; choose a new or empty folder`);
    }
    for (const e of readdirSync(outDir)) if (e !== 'images') rmSync(join(outDir, e), { force: true });
  }
  mkdirSync(join(outDir, 'images'), { recursive: true });
}

interface SourceInfo {
  path: string;
  sha256: string;
  width: number;
  height: number;
  /** from the file's resolution (PNG pHYs, TIFF, JFIF), when a microscope's */
  fileMpp: number | null;
}

/** Hash and probe every source before any work, so all unreadable files are reported at once. */
async function probeSources(files: readonly string[]): Promise<SourceInfo[]> {
  const infos: SourceInfo[] = [];
  const problems: string[] = [];
  for (const path of files) {
    try {
      const bytes = readFileSync(path);
      const meta = await readImageHeader(bytes);
      if (!meta.width || !meta.height) throw new Error('no image size in header');
      const { mpp } = await probeImage(bytes);
      infos.push({ path, sha256: sha256(bytes), width: meta.width, height: meta.height, fileMpp: mpp });
    } catch (err) {
      problems.push(`${path} (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
    }
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    throw new Error(`${problems.length} of ${files.length} source tiles cannot be read: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
  }
  return infos;
}

/** Format a number for list.txt without float noise (2.4000000000000004 -> 2.4). */
function listNumber(v: number): string {
  return String(Number(v.toFixed(6)));
}

/** Synthesise the dataset; see the module comment for the layout and guarantees. */
export async function synthesizeDataset(options: SynthOptions): Promise<SynthResult> {
  const levels = integer('levels', options.levels ?? 10, 0, 30);
  const size = integer('size', options.size ?? 1024, MIN_SOURCE_SIDE, 16384);
  const seed = integer('seed', options.seed ?? 1, 0, 0xffffffff);
  const noise = options.noise ?? 2;
  finiteNumber('noise', noise, 0, 64);
  const jpeg = options.jpeg === undefined ? 90 : options.jpeg;
  if (jpeg !== null) integer('jpeg', jpeg, 1, 100);
  const maxTiles = options.maxTiles ?? null;
  if (maxTiles !== null) integer('max-tiles', maxTiles, 1, Number.MAX_SAFE_INTEGER);
  const defocus = options.defocus ?? DEFAULT_DEFOCUS;
  defocusRadius(levels, defocus); // validates the PSF parameters
  const psf = oneOf('psf', options.psf ?? 'disk', SYNTH_PSFS);
  const diffraction = psf === 'diffraction' ? checkDiffraction(options) : null;
  const outDir = resolve(options.outDir);

  const expanded = await expandInputs(options.inputs);
  if (expanded.errors.length > 0) throw new Error(expanded.errors.join('; '));
  // never feed a previous run's output back in (e.g. `synth tiles -o tiles/synth`)
  const files = expanded.files.filter((f) => !(resolve(f) + sep).startsWith(outDir + sep));
  if (files.length === 0) throw new Error('no source tiles given');
  const infos = await probeSources(files);

  prepareOutDir(outDir);
  const imagesDir = join(outDir, 'images');

  const sources: SourceRecord[] = [];
  const outFiles: SynthFile[] = [];
  const listRows: string[] = [];
  const usedNames = new Set<string>();
  const seenHashes = new Map<string, string>();
  let slide = 0;
  let done = 0;
  for (const info of infos) {
    if (maxTiles !== null && slide >= maxTiles) break;
    const record: SourceRecord = { ...info, status: 'skipped' };
    const skip = (reason: string): void => {
      record.reason = reason;
    };
    const dup = seenHashes.get(info.sha256);
    if (dup !== undefined) skip(`duplicate of ${dup}`);
    else if (info.width < MIN_SOURCE_SIDE || info.height < MIN_SOURCE_SIDE) {
      skip(`too small: ${info.width}x${info.height} (< ${MIN_SOURCE_SIDE} px per side)`);
    } else {
      seenHashes.set(info.sha256, info.path);
      const srcMpp = info.fileMpp ?? diffraction?.sourceMpp ?? null;
      if (diffraction && srcMpp === null) throw new Error(`${info.path}: no pixel size in the file; give --source-mpp`);
      // the crop is taken at the source's MPP and covers the output's field at the target MPP; a
      // source within AS_STORED_TOLERANCE of the target is used as stored, as `slide` does
      const outMpp = diffraction ? effectiveTarget(srcMpp!, diffraction.targetMpp) : null;
      const cropSide = diffraction ? Math.max(8, Math.round((size * outMpp!) / srcMpp!)) : size;
      const src = await decodeImage(info.path);
      const rng = new Mulberry32(deriveSeed(seed, 'crop', info.sha256));
      let chosen: { plan: CropPlan; image: RgbImage; a: TissueAssessment } | null = null;
      let last: TissueAssessment | null = null;
      const attempts = src.width > cropSide || src.height > cropSide ? CROP_ATTEMPTS : 1;
      for (let t = 0; t < attempts && !chosen; t++) {
        const plan = planCrop(src.width, src.height, cropSide, rng);
        const a = assessTissue(mirroredWindow(src, plan.x, plan.y, plan.width, plan.height));
        last = a;
        if (rejectReason(a) === null) chosen = { plan, image: applyCropPlan(src, plan, cropSide), a };
      }
      if (!chosen) {
        skip(rejectReason(last!)! + (attempts > 1 ? ` in all ${attempts} crops tried` : ''));
        record.tissueFraction = round4(last!.tissueFraction);
        record.detailFraction = round4(last!.detailFraction);
      } else {
        slide++;
        let name = safeStem(info.path);
        for (let k = 2; usedNames.has(name); k++) name = `${safeStem(info.path)}-${k}`;
        usedNames.add(name);
        Object.assign(record, {
          status: 'used',
          name,
          slide,
          crop: chosen.plan,
          tissueFraction: round4(chosen.a.tissueFraction),
          detailFraction: round4(chosen.a.detailFraction),
        });
        if (diffraction) {
          const augment = drawTileAugment(diffraction.augment, new Mulberry32(deriveSeed(seed, 'augment', info.sha256)));
          Object.assign(record, { mpp: srcMpp, mppFrom: info.fileMpp !== null ? 'file' : 'option', renderedMpp: outMpp, augment });
          const tileFiles = await renderTile(chosen.image, { name, sha: info.sha256, levels, seed, noise, jpeg, defocus, imagesDir, optical: { ...diffraction, sourceMpp: srcMpp!, augment, size } });
          for (const f of tileFiles) {
            outFiles.push(f);
            const um = listNumber(f.z * diffraction.zStepUm);
            listRows.push(`${f.listed},${slide},0,${f.z},0,${um},${um}`);
          }
        } else {
          const tileFiles = await renderTile(chosen.image, { name, sha: info.sha256, levels, seed, noise, jpeg, defocus, imagesDir });
          for (const f of tileFiles) {
            outFiles.push(f);
            listRows.push(`${f.listed},${slide},0,${f.z},0,${listNumber(defocusRadius(f.z, defocus))},${f.z}`);
          }
        }
      }
    }
    sources.push(record);
    options.onProgress?.({ done: ++done, total: infos.length, source: record });
  }
  if (outFiles.length === 0) {
    throw new Error(`no usable source tiles: all ${sources.length} were skipped (${sources.map((s) => `${s.path}: ${s.reason}`).slice(0, 3).join('; ')}${sources.length > 3 ? '; ...' : ''})`);
  }

  // A re-run into an earlier output: drop images that this dataset does not list.
  const keep = new Set(outFiles.map((f) => basename(f.path)));
  for (const e of readdirSync(imagesDir)) {
    if ((e.endsWith('.png') || e.endsWith('.tmp')) && !keep.has(e)) rmSync(join(imagesDir, e), { force: true });
  }

  const listText = listRows.join('\n') + '\n';
  const listPath = join(outDir, 'list.txt');
  writeFileAtomicSync(listPath, listText);
  const body: Omit<SynthManifest, 'manifestHash'> = {
    format: SYNTH_FORMAT,
    version: SYNTH_VERSION,
    parameters: {
      levels, size, seed, noise, jpeg, maxTiles, defocus: { ...defocus },
      ...(diffraction ? { psf, optics: diffraction.optics, zStepUm: diffraction.zStepUm, sourceMpp: diffraction.sourceMpp, targetMpp: diffraction.targetMpp, augment: diffraction.augment } : {}),
      tissueRules: TISSUE_RULES, minSourceSide: MIN_SOURCE_SIDE,
    },
    encoder: codecVersions(),
    sources,
    files: outFiles,
    list: { path: 'list.txt', sha256: sha256(listText), rows: listRows.length },
  };
  const hash = manifestHash(body);
  const manifestPath = join(outDir, 'manifest.json');
  writeFileAtomicSync(manifestPath, JSON.stringify({ ...body, manifestHash: hash }, null, 2) + '\n');
  return {
    outDir,
    listPath,
    manifestPath,
    manifestHash: hash,
    images: outFiles.length,
    used: sources.filter((s) => s.status === 'used'),
    skipped: sources.filter((s) => s.status === 'skipped'),
  };
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

interface DiffractionSettings {
  optics: Optics;
  zStepUm: number;
  sourceMpp: number | null;
  targetMpp: number | null;
  augment: SynthAugment;
}

function checkDiffraction(o: SynthOptions): DiffractionSettings {
  const optics = o.optics ?? DEFAULT_OPTICS;
  finiteNumber('numerical aperture', optics.na, 0.05, 0.95);
  if (optics.wavelengthsUm.length !== 3) throw new Error('Expected three wavelengths (R, G, B) in µm');
  for (const l of optics.wavelengthsUm) finiteNumber('wavelength (µm)', l, 0.3, 1.2);
  finiteNumber('pupil obscuration', optics.obscuration, 0, 0.9);
  const zStepUm = o.zStepUm ?? 0.5;
  finiteNumber('z step (µm)', zStepUm, 0.01, 5);
  const sourceMpp = o.sourceMpp ?? null;
  if (sourceMpp !== null) finiteNumber('source mpp', sourceMpp, 0.05, 10);
  const targetMpp = o.targetMpp ?? null;
  if (targetMpp !== null) finiteNumber('mpp', targetMpp, 0.05, 10);
  const augment = o.augment ?? NO_AUGMENT;
  finiteNumber('annular share', augment.annular, 0, 1);
  finiteNumber('annular obscuration', augment.obscuration, 0, 0.9);
  finiteNumber('motion (µm)', augment.motionUm, 0, 10);
  finiteNumber('stain jitter', augment.stain, 0, 0.5);
  return { optics: { na: optics.na, wavelengthsUm: [...optics.wavelengthsUm] as unknown as Optics['wavelengthsUm'], obscuration: optics.obscuration }, zStepUm, sourceMpp, targetMpp, augment: { ...augment } };
}

/** The MPP a source is rendered at: the target, or the source's own when within AS_STORED_TOLERANCE of it. */
export function effectiveTarget(sourceMpp: number, targetMpp: number | null): number {
  if (targetMpp === null || Math.abs(sourceMpp / targetMpp - 1) <= AS_STORED_TOLERANCE) return sourceMpp;
  return targetMpp;
}

/** One tile's augmentation draws (fixed order, so a tile's draws do not depend on the settings' zeros). */
export function drawTileAugment(a: SynthAugment, rng: Mulberry32): TileAugment {
  const annular = rng.uniform() < a.annular;
  const motionUm = a.motionUm * rng.uniform();
  const motionAngle = Math.PI * rng.uniform();
  const motionProfile = rng.uniform() < 0.5 ? 'linear' : 'vibration';
  const stain = a.stain > 0 ? drawStainJitter(a.stain, rng) : null;
  return { obscuration: annular ? a.obscuration : 0, motionUm: round4(motionUm), motionAngle: round4(motionAngle), motionProfile, stain };
}

/** Per-channel kernels of one level (cached: every tile at the same MPP and pupil shares them). */
const kernelCache = new Map<string, [Kernel2D, Kernel2D, Kernel2D]>();

function opticalKernels(defocusUm: number, mpp: number, optics: Optics, obscuration: number): [Kernel2D, Kernel2D, Kernel2D] {
  const key = [defocusUm, mpp, optics.na, ...optics.wavelengthsUm, obscuration].join(',');
  let k = kernelCache.get(key);
  if (!k) {
    if (kernelCache.size > 256) kernelCache.clear();
    k = diffractionKernels(defocusUm, mpp, { ...optics, obscuration });
    kernelCache.set(key, k);
  }
  return k;
}

type OpticalSpec = Omit<DiffractionSettings, 'augment' | 'sourceMpp'> & { sourceMpp: number; augment: TileAugment; size: number };

/** A tile's image at one level: stain jitter, defocus PSF (+ motion) at the source MPP, resampled to the target. */
export function renderOptical(base: RgbImage, z: number, spec: OpticalSpec): RgbImage {
  const a = spec.augment;
  const stained = a.stain ? jitterStains(base, a.stain) : base;
  let kernels = opticalKernels(z * spec.zStepUm, spec.sourceMpp, spec.optics, a.obscuration || spec.optics.obscuration);
  if (a.motionUm > 0) {
    const m = motionKernel(a.motionUm / spec.sourceMpp, a.motionAngle, a.motionProfile);
    kernels = kernels.map((k) => composeKernels(k, m)) as [Kernel2D, Kernel2D, Kernel2D];
  }
  const blurred = convolveChannels(stained, kernels);
  const out = resampleToMpp(blurred, spec.sourceMpp, effectiveTarget(spec.sourceMpp, spec.targetMpp));
  // the crop side was rounded; cut or mirror to exactly size x size
  return out.width === spec.size && out.height === spec.size ? out : mirroredWindow(out, 0, 0, spec.size, spec.size);
}

interface RenderSpec {
  optical?: OpticalSpec;
  name: string;
  sha: string;
  levels: number;
  seed: number;
  noise: number;
  jpeg: number | null;
  defocus: DefocusParams;
  imagesDir: string;
}

/**
 * All levels of one tile. The blur runs on this thread while sharp encodes the previous level on
 * its own pool; results are kept in z order whatever order the encodes finish in.
 */
async function renderTile(base: RgbImage, spec: RenderSpec): Promise<SynthFile[]> {
  const pending: Array<Promise<SynthFile>> = [];
  for (let z = 0; z <= spec.levels; z++) {
    let img = spec.optical ? renderOptical(base, z, spec.optical) : defocusImage(base, z, spec.defocus);
    if (spec.noise > 0) img = addSensorNoise(img, spec.noise, deriveSeed(spec.seed, 'noise', spec.sha, z));
    pending.push(writeLevel(img, z, spec));
    // let finished encodes write their files before the next blur blocks the thread
    await new Promise<void>((r) => setImmediate(r));
  }
  return Promise.all(pending);
}

async function writeLevel(img: RgbImage, z: number, spec: RenderSpec): Promise<SynthFile> {
  const final = spec.jpeg === null ? img : await jpegRoundTrip(img, spec.jpeg);
  const png = await encodePng(final);
  const file = `${spec.name}_z${z}.png`;
  writeFileAtomicSync(join(spec.imagesDir, file), png);
  return { path: relative(join(spec.imagesDir, '..'), join(spec.imagesDir, file)).split(sep).join('/'), listed: `${spec.name}_z${z}.tif`, sha256: sha256(png), z, source: spec.name };
}
