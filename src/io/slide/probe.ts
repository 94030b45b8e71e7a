/**
 * What kind of file a slide path is, from its first bytes (and TIFF directories), before any
 * backend touches it. Backends decide from the probe whether they can read the file, so the
 * file is sniffed once and errors can name the format.
 */
import { extname } from 'node:path';
import { dicomSeriesFiles } from './dicom-series.js';
import { openFileSource } from './source.js';
import { isTiffHeader, readTiffStructure, type TiffStructure } from './tiff-tags.js';
import { tiffLayout, type TiffLayout } from './tiff-layout.js';

export type SlideContainer =
  | 'tiff' | 'png' | 'jpeg' | 'webp' | 'gif' | 'dicom' | 'jp2' | 'zeiss-czi' | 'sakura' | 'mirax' | 'hamamatsu-vms' | 'olympus-vsi' | 'unknown';

export interface SlideProbe {
  readonly path: string;
  readonly size: number;
  readonly container: SlideContainer;
  /** The SlideInfo.format a reader would report: the TIFF flavour, else the container. */
  readonly format: string;
  readonly tiff: TiffStructure | null;
  readonly layout: TiffLayout | null;
  /** A DICOM series given as a folder: its instance files (the folder is `path`). */
  readonly dicomFiles?: readonly string[];
}

const LABELS: Record<string, string> = {
  'aperio-svs': 'Aperio SVS',
  'generic-tiff': 'TIFF',
  'ome-tiff': 'OME-TIFF',
  ndpi: 'Hamamatsu NDPI',
  'philips-tiff': 'Philips TIFF',
  'leica-scn': 'Leica SCN',
  'ventana-bif': 'Ventana BIF',
  trestle: 'Trestle TIFF',
  png: 'PNG',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
  dicom: 'DICOM',
  jp2: 'JPEG 2000',
  'zeiss-czi': 'Zeiss CZI',
  sakura: 'Sakura SVSlide',
  mirax: 'MIRAX (MRXS)',
  'hamamatsu-vms': 'Hamamatsu VMS/VMU',
  'olympus-vsi': 'Olympus VSI',
};

/** Human name of a SlideInfo.format value, for messages. */
export function formatLabel(format: string): string {
  return LABELS[format] ?? format;
}

// Multi-file formats whose main file says little by itself: recognised by extension.
const BY_EXTENSION: Record<string, SlideContainer> = {
  '.mrxs': 'mirax',
  '.vms': 'hamamatsu-vms',
  '.vmu': 'hamamatsu-vms',
  '.svslide': 'sakura',
  '.vsi': 'olympus-vsi',
  '.czi': 'zeiss-czi',
};

function startsWith(head: Uint8Array, bytes: number[], at = 0): boolean {
  return bytes.every((b, i) => head[at + i] === b);
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Container from magic bytes (extension only for multi-file formats and headerless DICOM). */
export function sniffContainer(head: Uint8Array, path: string): SlideContainer {
  const ext = extname(path).toLowerCase();
  const byExt = BY_EXTENSION[ext];
  if (byExt) return byExt;
  if (isTiffHeader(head)) return 'tiff';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(head, ascii('GIF8'))) return 'gif';
  if (startsWith(head, ascii('DICM'), 128) || ext === '.dcm') return 'dicom';
  if (startsWith(head, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || startsWith(head, [0xff, 0x4f, 0xff, 0x51])) return 'jp2';
  if (startsWith(head, ascii('ZISRAWFILE'))) return 'zeiss-czi';
  if (startsWith(head, ascii('SQLite format 3\0'))) return 'sakura';
  return 'unknown';
}

function ioProblem(err: unknown): string | null {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a slide file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return null;
}

/** Sniff a slide file; throws one line naming the file when it cannot be read at all. */
export async function probeSlide(path: string): Promise<SlideProbe> {
  let src;
  try {
    src = await openFileSource(path);
  } catch (err) {
    const problem = ioProblem(err);
    if (problem === 'is a directory, not a slide file') {
      // A folder is a slide when it holds one DICOM whole-slide series (an instance per level).
      const series = dicomSeriesFiles(path);
      if (series) return { path, size: 0, container: 'dicom', format: 'dicom', tiff: null, layout: null, dicomFiles: series.files };
      throw new Error(`${path}: is a directory, not a slide file (nor a folder of DICOM whole-slide instances of one series)`);
    }
    if (problem) throw new Error(`${path}: ${problem}`);
    throw err;
  }
  try {
    if (src.size === 0) throw new Error(`${path}: empty file`);
    const head = await src.read(0, Math.min(src.size, 512));
    const container = sniffContainer(head, path);
    if (container !== 'tiff') return { path, size: src.size, container, format: container, tiff: null, layout: null };
    const tiff = await readTiffStructure(src);
    const layout = tiffLayout(tiff);
    return { path, size: src.size, container, format: layout.format, tiff, layout };
  } finally {
    await src.close();
  }
}
