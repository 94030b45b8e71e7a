/**
 * DICOM headers of VL Whole Slide Microscopy images, read with dicom-parser (cornerstone's
 * well-kept Part 10 parser) up to the Pixel Data element and never past it: a multi-gigabyte
 * instance costs a prefix read (grown until the header fits, capped), and the frames are later
 * read by file offset. describeInstance() turns the parsed data set into the few facts a slide
 * reader needs (geometry, tiling, pixel encoding, where the pixel data starts, metadata).
 */
import { createRequire } from 'node:module';
import type * as DicomParser from 'dicom-parser';
import type { ByteSource } from './source.js';

const dicomParser = createRequire(import.meta.url)('dicom-parser') as typeof DicomParser;

export type DataSet = DicomParser.DataSet;

export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';

/** Transfer syntaxes whose frames this reader decodes, and how. */
export type FrameCodec = 'native' | 'jpeg' | 'jpeg2000';

const TRANSFER_SYNTAXES: Record<string, { codec: FrameCodec; name: string; implicit?: boolean }> = {
  '1.2.840.10008.1.2': { codec: 'native', name: 'implicit VR little endian', implicit: true },
  '1.2.840.10008.1.2.1': { codec: 'native', name: 'explicit VR little endian' },
  '1.2.840.10008.1.2.4.50': { codec: 'jpeg', name: 'JPEG baseline' },
  '1.2.840.10008.1.2.4.90': { codec: 'jpeg2000', name: 'JPEG 2000 lossless' },
  '1.2.840.10008.1.2.4.91': { codec: 'jpeg2000', name: 'JPEG 2000' },
};

// Known but unsupported: named in the error so a user knows what the file holds.
const UNSUPPORTED_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': 'deflated explicit VR little endian',
  '1.2.840.10008.1.2.2': 'explicit VR big endian',
  '1.2.840.10008.1.2.4.51': 'JPEG extended (12-bit)',
  '1.2.840.10008.1.2.4.57': 'JPEG lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG lossless (first-order prediction)',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS near-lossless',
  '1.2.840.10008.1.2.4.201': 'HTJ2K lossless',
  '1.2.840.10008.1.2.4.202': 'HTJ2K lossless RPCL',
  '1.2.840.10008.1.2.4.203': 'HTJ2K',
  '1.2.840.10008.1.2.5': 'RLE lossless',
  '1.2.840.10008.1.2.4.100': 'MPEG-2',
};

/** Supported transfer syntax UIDs (for messages and the README). */
export function supportedTransferSyntaxes(): string[] {
  return Object.entries(TRANSFER_SYNTAXES).map(([uid, t]) => `${t.name} (${uid})`);
}

/** The header is read from the start of the file in growing prefixes up to this size. */
export const MAX_HEADER_BYTES = 128 << 20;
const FIRST_READ = 1 << 20;

// Caps that keep a corrupt header from declaring unbounded work.
const MAX_FRAMES = 10_000_000;
const MAX_FRAME_PIXELS = 1 << 26;
// Real slides are at most a few hundred thousand pixels a side.
const MAX_MATRIX_SIDE = 1 << 20;

/** A one-line problem with a DICOM file; the message names the file. */
export class DicomFormatError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DicomFormatError';
  }
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'exception' in e) return errorText((e as { exception: unknown }).exception);
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** True when the file carries the Part 10 preamble marker. */
export function hasDicmMarker(head: Uint8Array): boolean {
  return head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d;
}

/** The Part 10 meta header's transfer syntax, or an error message. */
function transferSyntaxOf(bytes: Uint8Array): string {
  const meta = dicomParser.readPart10Header(bytes, { untilTag: 'x00020010' });
  const ts = meta.string('x00020010');
  if (!ts) throw new Error('no Transfer Syntax UID in the meta header');
  return ts;
}

/**
 * dicom-parser 1.8 predates the OV value representation (2017) and would read the Extended
 * Offset Table's 4-byte length as 2 bytes. Both tables (7FE0,0001/0002) sit just before the
 * Pixel Data; relabelling them OB in the parse buffer (same layout) lets it read them as bytes.
 */
function markOffsetTablesAsOB(bytes: Uint8Array): void {
  for (let i = 132; i + 6 <= bytes.length; i++) {
    if (bytes[i] === 0xe0 && bytes[i + 1] === 0x7f && (bytes[i + 2] === 0x01 || bytes[i + 2] === 0x02) && bytes[i + 3] === 0x00 && bytes[i + 4] === 0x4f && bytes[i + 5] === 0x56) {
      bytes[i + 5] = 0x42;
    }
  }
}

export interface ParsedHeader {
  readonly dataSet: DataSet;
  readonly transferSyntax: string;
  /** Bytes read to parse it (the header buffer the data set points into). */
  readonly bytesRead: number;
}

/**
 * Parse the header up to `untilTag` (default: Pixel Data). Reads 1 MiB, then 4x larger prefixes
 * until the parse completes, the file ends, or MAX_HEADER_BYTES is reached.
 */
export async function readDicomHeader(src: ByteSource, untilTag = 'x7fe00010', maxBytes = MAX_HEADER_BYTES): Promise<ParsedHeader> {
  const fail = (problem: string): never => {
    throw new DicomFormatError(src.name, problem);
  };
  if (src.size < 132) fail(`not a DICOM file (only ${src.size} bytes)`);
  let len = Math.min(src.size, FIRST_READ, maxBytes);
  for (;;) {
    const bytes = await src.read(0, len);
    if (!hasDicmMarker(bytes)) fail('not a DICOM Part 10 file (no DICM marker at byte 128)');
    const complete = len >= src.size;
    let ts: string;
    try {
      ts = transferSyntaxOf(bytes);
    } catch (e) {
      if (!complete && len < maxBytes) {
        len = Math.min(src.size, len * 4, maxBytes);
        continue;
      }
      return fail(`corrupt DICOM meta header (${errorText(e)})`);
    }
    const unsupported = UNSUPPORTED_SYNTAXES[ts];
    if (unsupported) fail(`DICOM transfer syntax ${unsupported} (${ts}) is not supported; supported: ${supportedTransferSyntaxes().join(', ')}`);
    if (!TRANSFER_SYNTAXES[ts]) fail(`unknown DICOM transfer syntax ${ts}`);
    let dataSet: DataSet | null = null;
    let problem = '';
    if (!TRANSFER_SYNTAXES[ts]!.implicit) markOffsetTablesAsOB(bytes);
    try {
      dataSet = dicomParser.parseDicom(bytes, { untilTag });
    } catch (e) {
      problem = errorText(e);
    }
    if (dataSet && dataSet.elements[untilTag]) return { dataSet, transferSyntax: ts, bytesRead: len };
    if (!complete) {
      if (len >= maxBytes) fail(`DICOM header is larger than ${maxBytes >> 20} MiB before the pixel data (corrupt, or too many frames)`);
      len = Math.min(src.size, len * 4, maxBytes);
      continue;
    }
    if (problem) fail(`corrupt or truncated DICOM header (${problem})`);
    if (untilTag !== 'x7fe00010') return { dataSet: dataSet!, transferSyntax: ts, bytesRead: len };
    if (dataSet!.elements['x7fe00008'] || dataSet!.elements['x7fe00009']) fail('float pixel data is not supported');
    return fail('DICOM file has no Pixel Data (truncated?)');
  }
}

// ------------------------------------------------------------------ facts from the data set

export type ImageFlavor = 'VOLUME' | 'LABEL' | 'OVERVIEW' | 'THUMBNAIL';

export interface PixelDataLocation {
  /** File offset of the Pixel Data value (for encapsulated data: the Basic Offset Table item). */
  readonly offset: number;
  /** Value length; null when undefined (encapsulated). */
  readonly length: number | null;
}

export interface DicomInstance {
  readonly path: string;
  readonly fileSize: number;
  readonly sopInstanceUid: string;
  readonly seriesUid: string | null;
  readonly instanceNumber: number;
  readonly transferSyntax: string;
  readonly codec: FrameCodec;
  /** ImageType values, upper case ('DERIVED', 'PRIMARY', 'VOLUME', 'RESAMPLED'). */
  readonly imageType: readonly string[];
  /** Third ImageType value; VOLUME when absent (single-image files such as converter outputs). */
  readonly flavor: ImageFlavor | 'OTHER';
  readonly totalWidth: number;
  readonly totalHeight: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly frames: number;
  readonly samplesPerPixel: number;
  readonly photometric: string;
  readonly planarConfiguration: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly dimensionOrganization: string | null;
  /**
   * Top-left corner (0-based level pixels) of each frame of the first focal plane and optical
   * path, from the Per-Frame Functional Groups; null when frames follow TILED_FULL order.
   */
  readonly positions: { readonly frame: Int32Array; readonly x: Int32Array; readonly y: Int32Array } | null;
  readonly focalPlanes: number;
  readonly opticalPaths: number;
  readonly concatenation: { readonly uid: string; readonly frameOffset: number } | null;
  readonly pixelData: PixelDataLocation;
  /** Extended Offset Table: per-frame offsets (relative to the first fragment item) and lengths. */
  readonly extendedOffsets: { readonly offsets: Float64Array; readonly lengths: Float64Array } | null;
  /** Micrometres per pixel and where it came from. */
  readonly mpp: { readonly x: number; readonly y: number } | null;
  readonly mppSource: string | null;
  readonly objectivePower: number | null;
  readonly iccProfile: Uint8Array | null;
  /** OpenSlide-style dicom.* properties (device, dates, UIDs, geometry); no patient attributes. */
  readonly properties: Record<string, string>;
}

type Sub = DataSet | undefined;

function item(ds: Sub, tag: string, index = 0): Sub {
  return ds?.elements[tag]?.items?.[index]?.dataSet;
}

function str(ds: Sub, tag: string, index?: number): string | null {
  if (!ds?.elements[tag]) return null;
  try {
    const v = ds.string(tag, index);
    return v === undefined || v === '' ? null : v;
  } catch {
    return null;
  }
}

function num(ds: Sub, tag: string, kind: 'uint16' | 'uint32' | 'int32' | 'float' | 'floatString' | 'intString', index?: number): number | null {
  if (!ds?.elements[tag] || ds.elements[tag]!.length === 0) return null;
  try {
    const v = ds[kind](tag, index);
    return v === undefined || !Number.isFinite(v) ? null : v;
  } catch {
    return null;
  }
}

function bytesOf(ds: Sub, tag: string): Uint8Array | null {
  const e = ds?.elements[tag];
  if (!ds || !e || e.length === 0 || e.length === 0xffffffff) return null;
  if (e.dataOffset + e.length > ds.byteArray.length) return null;
  return ds.byteArray.slice(e.dataOffset, e.dataOffset + e.length);
}

/** Eight-byte values (OV) of an element, as numbers (offsets past 2^53 are rejected). */
function uint64s(ds: Sub, tag: string, file: string): Float64Array | null {
  const b = bytesOf(ds, tag);
  if (!b) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float64Array(Math.floor(b.length / 8));
  for (let i = 0; i < out.length; i++) {
    const v = view.getBigUint64(i * 8, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DicomFormatError(file, `Extended Offset Table value ${v} is too large`);
    out[i] = Number(v);
  }
  return out;
}

// Header attributes copied into properties (device, acquisition, UIDs); never patient data.
const PROPERTY_TAGS: Array<[string, string]> = [
  ['x00080070', 'Manufacturer'],
  ['x00081090', 'ManufacturerModelName'],
  ['x00181000', 'DeviceSerialNumber'],
  ['x00181020', 'SoftwareVersions'],
  ['x0008002a', 'AcquisitionDateTime'],
  ['x00080022', 'AcquisitionDate'],
  ['x00080032', 'AcquisitionTime'],
  ['x00080023', 'ContentDate'],
  ['x00080033', 'ContentTime'],
  ['x00080020', 'StudyDate'],
  ['x00080030', 'StudyTime'],
  ['x00080060', 'Modality'],
  ['x0020000d', 'StudyInstanceUID'],
  ['x0020000e', 'SeriesInstanceUID'],
  ['x00080018', 'SOPInstanceUID'],
  ['x00400512', 'ContainerIdentifier'],
  ['x00209311', 'DimensionOrganizationType'],
];

function pixelSpacing(ds: DataSet): { mpp: { x: number; y: number } | null; source: string | null } {
  const candidates: Array<[Sub, string]> = [
    [item(item(ds, 'x52009229'), 'x00289110'), 'dicom.PixelSpacing (Shared Functional Groups, Pixel Measures)'],
    [item(item(ds, 'x52009230'), 'x00289110'), 'dicom.PixelSpacing (Per-Frame Functional Groups, Pixel Measures)'],
    [ds, 'dicom.PixelSpacing'],
  ];
  for (const [sub, source] of candidates) {
    // Pixel Spacing is "row spacing \ column spacing" in millimetres: y first, then x.
    const row = num(sub, 'x00280030', 'floatString', 0);
    const col = num(sub, 'x00280030', 'floatString', 1) ?? row;
    if (row !== null && col !== null && row > 0 && col > 0) return { mpp: { x: col * 1000, y: row * 1000 }, source };
  }
  // The standard defines Imaged Volume Width/Height as the physical size of the total pixel matrix.
  const w = num(ds, 'x00480001', 'float');
  const h = num(ds, 'x00480002', 'float');
  const cols = num(ds, 'x00480006', 'uint32');
  const rows = num(ds, 'x00480007', 'uint32');
  if (w && h && cols && rows && w > 0 && h > 0) {
    return { mpp: { x: (w * 1000) / cols, y: (h * 1000) / rows }, source: 'dicom.ImagedVolumeWidth/Height (no Pixel Spacing in the file)' };
  }
  return { mpp: null, source: null };
}

/** Per-frame positions of the first focal plane / optical path, or null when there are none. */
function framePositions(ds: DataSet, frames: number, file: string): DicomInstance['positions'] {
  const perFrame = ds.elements['x52009230']?.items;
  if (!perFrame || perFrame.length === 0) return null;
  if (perFrame.length !== frames) {
    throw new DicomFormatError(file, `Per-Frame Functional Groups hold ${perFrame.length} items for ${frames} frames (corrupt)`);
  }
  const frame: number[] = [], xs: number[] = [], ys: number[] = [];
  let firstKey: string | null = null;
  for (let i = 0; i < perFrame.length; i++) {
    const fg = perFrame[i]!.dataSet;
    const pos = item(fg, 'x0048021a');
    const col = num(pos, 'x0048021e', 'int32');
    const row = num(pos, 'x0048021f', 'int32');
    if (col === null || row === null) {
      if (i === 0) return null; // no Plane Position (Slide) at all: positions come from TILED_FULL order
      throw new DicomFormatError(file, `frame ${i + 1} has no Plane Position (Slide) while others do (corrupt)`);
    }
    // Keep the focal plane and optical path of the first frame (one plane is scored).
    const key = `${str(pos, 'x0040074a') ?? ''}|${str(item(fg, 'x00480207'), 'x00480106') ?? ''}`;
    firstKey ??= key;
    if (key !== firstKey) continue;
    frame.push(i);
    // Column/Row Position In Total Image Pixel Matrix are 1-based.
    xs.push(col - 1);
    ys.push(row - 1);
  }
  return { frame: Int32Array.from(frame), x: Int32Array.from(xs), y: Int32Array.from(ys) };
}

function flavorOf(imageType: readonly string[]): DicomInstance['flavor'] {
  if (imageType.length < 3) return 'VOLUME';
  const v = imageType[2]!;
  return v === 'VOLUME' || v === 'LABEL' || v === 'OVERVIEW' || v === 'THUMBNAIL' ? v : 'OTHER';
}

function imageTypeOf(ds: DataSet): string[] {
  const n = ds.elements['x00080008'] ? ds.numStringValues('x00080008') ?? 0 : 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((str(ds, 'x00080008', i) ?? '').toUpperCase());
  return out;
}

/** The slide-reader facts of one parsed instance; throws DicomFormatError for what it cannot read. */
export function describeInstance(header: ParsedHeader, path: string, fileSize: number): DicomInstance {
  const { dataSet: ds, transferSyntax } = header;
  const fail = (problem: string): never => {
    throw new DicomFormatError(path, problem);
  };
  const sopClass = str(ds, 'x00080016') ?? str(ds, 'x00020002');
  if (sopClass !== WSI_SOP_CLASS) fail(`not a DICOM whole-slide image (SOP Class ${sopClass ?? 'missing'}; expected VL Whole Slide Microscopy Image ${WSI_SOP_CLASS})`);
  const ts = TRANSFER_SYNTAXES[transferSyntax]!;

  const tileHeight = num(ds, 'x00280010', 'uint16');
  const tileWidth = num(ds, 'x00280011', 'uint16');
  if (!tileWidth || !tileHeight) fail('no Rows/Columns (frame size)');
  if (tileWidth! * tileHeight! > MAX_FRAME_PIXELS) fail(`frames of ${tileWidth}x${tileHeight} pixels are too large`);
  const frames = num(ds, 'x00280008', 'intString') ?? 1;
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES) fail(`implausible Number of Frames ${frames}`);
  const totalWidth = num(ds, 'x00480006', 'uint32') ?? tileWidth!;
  const totalHeight = num(ds, 'x00480007', 'uint32') ?? tileHeight!;
  if (totalWidth < 1 || totalHeight < 1 || totalWidth > MAX_MATRIX_SIDE || totalHeight > MAX_MATRIX_SIDE) fail(`implausible Total Pixel Matrix ${totalWidth}x${totalHeight}`);

  const samplesPerPixel = num(ds, 'x00280002', 'uint16') ?? 1;
  const photometric = (str(ds, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2')).toUpperCase();
  const bitsAllocated = num(ds, 'x00280100', 'uint16') ?? 8;
  const bitsStored = num(ds, 'x00280101', 'uint16') ?? bitsAllocated;
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3) fail(`${samplesPerPixel} samples per pixel are not supported (1 or 3)`);
  if (ts.codec === 'native' && bitsAllocated !== 8 && bitsAllocated !== 16) fail(`${bitsAllocated}-bit native pixels are not supported (8 or 16)`);
  if (ts.codec === 'jpeg' && bitsAllocated !== 8) fail(`JPEG baseline frames with ${bitsAllocated} bits allocated (expected 8)`);

  const pixel = ds.elements['x7fe00010']!;
  const encapsulated = ts.codec !== 'native';
  const undefinedLength = pixel.length === 0xffffffff;
  if (encapsulated !== undefinedLength) {
    fail(encapsulated ? `Pixel Data has a defined length although ${ts.name} data must be encapsulated (corrupt)` : 'native Pixel Data with undefined length (corrupt)');
  }

  const eotOffsets = uint64s(ds, 'x7fe00001', path);
  const eotLengths = uint64s(ds, 'x7fe00002', path);
  let extendedOffsets: DicomInstance['extendedOffsets'] = null;
  if (eotOffsets && eotLengths) {
    if (eotOffsets.length !== frames || eotLengths.length !== frames) fail(`Extended Offset Table holds ${eotOffsets.length} offsets and ${eotLengths.length} lengths for ${frames} frames (corrupt)`);
    extendedOffsets = { offsets: eotOffsets, lengths: eotLengths };
  }

  const imageType = imageTypeOf(ds);
  const focalPlanes = num(ds, 'x00480303', 'uint32') ?? 1;
  const opticalPaths = num(ds, 'x00480302', 'uint32') ?? 1;
  const dimensionOrganization = str(ds, 'x00209311');
  const positions = dimensionOrganization === 'TILED_FULL' ? null : framePositions(ds, frames, path);
  if (!positions) {
    const needed = Math.ceil(totalWidth / tileWidth!) * Math.ceil(totalHeight / tileHeight!);
    // A concatenation part holds only some of the frames; its siblings hold the rest.
    if (frames < needed && !str(ds, 'x00209161')) fail(`${frames} frames cannot tile a ${totalWidth}x${totalHeight} matrix of ${tileWidth}x${tileHeight} tiles in TILED_FULL order (${needed} needed)`);
  }

  const { mpp, source: mppSource } = pixelSpacing(ds);
  const optical = item(ds, 'x00480105');
  const objectivePower = num(optical, 'x00480112', 'floatString');
  const iccProfile = bytesOf(optical, 'x00282000') ?? bytesOf(ds, 'x00282000');

  const properties: Record<string, string> = {};
  for (const [tag, name] of PROPERTY_TAGS) {
    const v = str(ds, tag);
    if (v !== null) properties[`dicom.${name}`] = v.trim();
  }
  properties['dicom.TransferSyntaxUID'] = transferSyntax;
  properties['dicom.ImageType'] = imageType.join('\\');
  properties['dicom.TotalPixelMatrixColumns'] = String(totalWidth);
  properties['dicom.TotalPixelMatrixRows'] = String(totalHeight);
  properties['dicom.Columns'] = String(tileWidth);
  properties['dicom.Rows'] = String(tileHeight);
  properties['dicom.NumberOfFrames'] = String(frames);
  properties['dicom.PhotometricInterpretation'] = photometric;
  if (objectivePower !== null) properties['dicom.ObjectiveLensPower'] = String(objectivePower);
  const illumination = str(item(optical, 'x00220016'), 'x00080104');
  if (illumination) properties['dicom.IlluminationType'] = illumination;
  const lensNa = num(optical, 'x00480114', 'floatString');
  if (lensNa !== null) properties['dicom.ObjectiveLensNumericalAperture'] = String(lensNa);
  if (iccProfile) properties['dicom.ICCProfile'] = `${iccProfile.length} bytes`;
  if (mppSource) properties['dicom.mpp-source'] = mppSource;
  if (focalPlanes > 1) properties['dicom.TotalPixelMatrixFocalPlanes'] = String(focalPlanes);
  if (opticalPaths > 1) properties['dicom.NumberOfOpticalPaths'] = String(opticalPaths);

  const concatUid = str(ds, 'x00209161');
  return {
    path,
    fileSize,
    sopInstanceUid: str(ds, 'x00080018') ?? path,
    seriesUid: str(ds, 'x0020000e'),
    instanceNumber: num(ds, 'x00200013', 'intString') ?? 0,
    transferSyntax,
    codec: ts.codec,
    imageType,
    flavor: flavorOf(imageType),
    totalWidth,
    totalHeight,
    tileWidth: tileWidth!,
    tileHeight: tileHeight!,
    frames,
    samplesPerPixel,
    photometric,
    planarConfiguration: num(ds, 'x00280006', 'uint16') ?? 0,
    bitsAllocated,
    bitsStored,
    dimensionOrganization,
    positions,
    focalPlanes,
    opticalPaths,
    concatenation: concatUid ? { uid: concatUid, frameOffset: num(ds, 'x00209228', 'uint32') ?? 0 } : null,
    pixelData: { offset: pixel.dataOffset, length: undefinedLength ? null : pixel.length },
    extendedOffsets,
    mpp,
    mppSource,
    objectivePower,
    iccProfile,
    properties,
  };
}

/** The few attributes that group instances into one slide (SOP class, series, image type). */
export interface InstanceSummary {
  readonly isWsi: boolean;
  readonly seriesUid: string | null;
  readonly flavor: DicomInstance['flavor'];
}

/** Summarise a header parsed up to the Series Instance UID's group (for folder grouping). */
export function summarizeHeader(ds: DataSet): InstanceSummary {
  const sopClass = str(ds, 'x00080016') ?? str(ds, 'x00020002');
  return { isWsi: sopClass === WSI_SOP_CLASS, seriesUid: str(ds, 'x0020000e'), flavor: flavorOf(imageTypeOf(ds)) };
}

/** Parse a header prefix (synchronous, for folder scans): summary, or null when not DICOM WSI. */
export function summarizePrefix(bytes: Uint8Array): InstanceSummary | null {
  if (!hasDicmMarker(bytes)) return null;
  try {
    // Stop at the first tag after Series Instance UID's group that every instance has (Rows).
    const ds = dicomParser.parseDicom(bytes, { untilTag: 'x00280010' });
    return summarizeHeader(ds);
  } catch (e) {
    const partial = (e as { dataSet?: DataSet } | null)?.dataSet;
    if (partial?.elements['x0020000e']) return summarizeHeader(partial);
    return null;
  }
}
