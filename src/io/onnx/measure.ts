/**
 * Deep focus models through ONNX Runtime: any ONNX model with one input `[batch, 3, H, W]`
 * (float32 RGB, 8-bit / 255, channel-first, no mean/std) and one output of one score per crop
 * (`[batch]` or `[batch, 1]`, higher = blurrier) becomes an AsyncFocusMeasure. The image score is
 * the plain mean over the crop grid (235/128 unless the model fixes another crop size), as for the
 * native FocusLiteNN engine. Layouts: ../shared/reference/official-onnx/README.md and
 * scripts/export-onnx.py.
 *
 * onnxruntime-node is an optional dependency (its binaries are about 290 MB for all platforms):
 * focuslite installs and runs without it, and only `--weights <model>.onnx` asks for it, with a
 * one-line message saying how to add it.
 */
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { cropGrid } from '../../core/grid.js';
import type { RgbImage } from '../../core/image.js';
import type { AsyncFocusMeasure } from '../../core/measures/measure-spec.js';
import type { MeasureKind, MeasureScale } from '../../core/measures/types.js';
import { DEFAULT_CROP, DEFAULT_STRIDE } from '../../core/model.js';
import { gridOrigins, imageScoreOf } from '../../core/score.js';
import { readOnnxModelInfo } from './proto.js';

export const ONNX_INSTALL_HINT = 'ONNX models need the optional package onnxruntime-node; add it with `npm install onnxruntime-node` in the focuslite folder';

/**
 * Largest ONNX file read. Focus models are small (DenseNet-13: 0.8 MB, EONSS: 0.5 MB, FocusLiteNN:
 * 2-7 KB; a ResNet-50 is about 100 MB); the bound keeps a wrong file from being read whole.
 */
export const MAX_ONNX_FILE_BYTES = 512 * 1024 * 1024;

/** Crops per ONNX Runtime call: 32 crops of 235² are 21 MB of float32 input. */
export const ONNX_BATCH = 32;

export function isOnnxPath(path: string): boolean {
  return /\.onnx$/i.test(path);
}

/** The part of onnxruntime-node's API used here (it is optional, so its types may be absent at build time). */
interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}
interface OrtValueMetadata {
  readonly name: string;
  readonly isTensor?: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(path: string, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

let ortModule: Promise<OrtModule> | null = null;

function errorCode(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** onnxruntime-node, loaded on first use; a clear error when it is not installed. */
export function loadOnnxRuntime(): Promise<OrtModule> {
  ortModule ??= (async () => {
    try {
      // @ts-ignore -- optional dependency: absent at build time on an install without it; typed by OrtModule
      const mod: unknown = await import('onnxruntime-node');
      const m = ((mod as { default?: unknown }).default ?? mod) as OrtModule;
      if (typeof m.InferenceSession?.create !== 'function') throw new Error('onnxruntime-node has no InferenceSession');
      return m;
    } catch (err) {
      ortModule = null;
      const code = errorCode(err);
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Error(ONNX_INSTALL_HINT);
      throw new Error(`onnxruntime-node could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); reinstall it with \`npm install onnxruntime-node\``);
    }
  })();
  return ortModule;
}

/** Whether onnxruntime-node can be loaded here (tests skip the ONNX cases when it cannot). */
export async function onnxRuntimeAvailable(): Promise<boolean> {
  try {
    await loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

async function readModelBytes(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = errorCode(err);
    throw new Error(`${path}: ${code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${path}: not a regular file`);
    if (info.size > MAX_ONNX_FILE_BYTES) throw new Error(`${path}: the file is larger than ${MAX_ONNX_FILE_BYTES / 1024 / 1024} MB, far larger than a focus model; not read`);
    const buf = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buf, 0, info.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface OnnxMeasure extends AsyncFocusMeasure {
  readonly path: string;
  /** the crop side the model requires (its input's fixed H = W), or null when H, W are free */
  readonly fixedCrop: number | null;
  /** where `parameters` comes from: the file's `parameters` metadata, or its initializers */
  readonly parametersFrom: 'metadata' | 'initializers';
  close(): Promise<void>;
}

export interface OnnxMeasureOptions {
  /** ONNX Runtime intra-op threads for this session (default 1: focuslite runs one session per thread) */
  threads?: number;
  /** label in reports (default: the file's `name` metadata, else the file name without `.onnx`) */
  label?: string;
}

function metadataScale(value: string | undefined, path: string): MeasureScale {
  if (value === undefined || value === '') return 'relative';
  if (value === 'relative' || value === 'z-level') return value;
  throw new Error(`${path}: Expected relative or z-level for the scale metadata but received ${JSON.stringify(value)}`);
}

function metadataKind(value: string | undefined, path: string): MeasureKind {
  if (value === undefined || value === '') return 'data-driven';
  if (value === 'data-driven' || value === 'knowledge-based') return value;
  throw new Error(`${path}: Expected data-driven or knowledge-based for the kind metadata but received ${JSON.stringify(value)}`);
}

/** The input's fixed square crop side from its declared shape, or null when H and W are symbolic. */
function inputCrop(session: OrtSession, path: string): number | null {
  const meta = session.inputMetadata?.[0];
  const shape = meta?.shape;
  if (!shape) return null;
  if (shape.length !== 4) throw new Error(`${path}: Expected an input of shape [batch, 3, H, W] but the model declares [${shape.join(', ')}]`);
  if (typeof shape[1] === 'number' && shape[1] !== 3) throw new Error(`${path}: Expected 3 input channels (RGB, channel-first) but the model declares ${shape[1]}`);
  const [h, w] = [shape[2], shape[3]];
  if (typeof h === 'number' && typeof w === 'number') {
    if (h !== w) throw new Error(`${path}: Expected square crops but the model declares ${h}x${w}`);
    return h;
  }
  return typeof h === 'number' ? h : typeof w === 'number' ? w : null;
}

/** Open an ONNX focus model as a measure (one ONNX Runtime session; release it with close()). */
export async function loadOnnxMeasure(path: string, options: OnnxMeasureOptions = {}): Promise<OnnxMeasure> {
  const bytes = await readModelBytes(path);
  let info;
  try {
    info = readOnnxModelInfo(bytes);
  } catch (err) {
    throw new Error(`${path}: not a readable ONNX model (${(err as Error).message})`);
  }
  const ort = await loadOnnxRuntime().catch((err: Error) => {
    throw new Error(`${path}: ${err.message}`);
  });
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new Error(`${path}: ONNX Runtime cannot load the model (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      throw new Error(`${path}: Expected one input and one output (a crop batch in, one score per crop out) but the model has ${session.inputNames.length} inputs and ${session.outputNames.length} outputs`);
    }
    const type = session.inputMetadata?.[0]?.type;
    if (type !== undefined && type !== 'float32') throw new Error(`${path}: Expected a float32 input but the model declares ${type}`);
  } catch (err) {
    await session.release();
    throw err;
  }
  const fixedCrop = inputCrop(session, path);
  const md = info.metadata;
  const declared = md.parameters !== undefined ? Number(md.parameters) : NaN;
  const parametersFrom = Number.isInteger(declared) && declared >= 0 ? 'metadata' : 'initializers';
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const scale = metadataScale(md.scale, path);
  const gridCrop = fixedCrop ?? DEFAULT_CROP;

  const run = async (image: RgbImage, xs: ArrayLike<number>, ys: ArrayLike<number>, cropSize: number): Promise<Float64Array> => {
    if (fixedCrop !== null && cropSize !== fixedCrop) {
      throw new Error(`${basename(path)} takes ${fixedCrop}x${fixedCrop} crops, not ${cropSize}x${cropSize}`);
    }
    if (xs.length !== ys.length) throw new Error(`Expected as many y origins as x origins (${xs.length}) but received ${ys.length}`);
    const out = new Float64Array(xs.length);
    const plane = cropSize * cropSize;
    for (let b0 = 0; b0 < xs.length; b0 += ONNX_BATCH) {
      const n = Math.min(ONNX_BATCH, xs.length - b0);
      const input = new Float32Array(n * 3 * plane);
      for (let i = 0; i < n; i++) fillCrop(image, xs[b0 + i]!, ys[b0 + i]!, cropSize, input, i * 3 * plane);
      const result = await session.run({ [inputName]: new ort.Tensor('float32', input, [n, 3, cropSize, cropSize]) });
      const scores = result[outputName]!;
      const data = scores.data as ArrayLike<number>;
      if (typeof data?.length !== 'number' || data.length !== n) {
        throw new Error(`${basename(path)} returned ${data?.length ?? 'no'} values of shape [${scores.dims.join(', ')}] for ${n} crops; expected one score per crop`);
      }
      for (let i = 0; i < n; i++) out[b0 + i] = Number(data[i]);
    }
    return out;
  };

  return {
    name: basename(path).replace(/\.onnx$/i, ''),
    label: options.label ?? (md.name || basename(path).replace(/\.onnx$/i, '')),
    kind: metadataKind(md.kind, path),
    parameters: parametersFrom === 'metadata' ? declared : info.initializerParameters,
    parametersFrom,
    scale,
    nativeUnit: 'crops',
    reference: md.reference || `ONNX model ${basename(path)}`,
    path,
    fixedCrop,
    scoreCrops: run,
    async scoreImage(image) {
      const grid = cropGrid(image.width, image.height, gridCrop, DEFAULT_STRIDE);
      const { xs, ys } = gridOrigins(grid);
      return imageScoreOf(scale, await run(image, xs, ys, gridCrop));
    },
    close: () => session.release(),
  };
}

/** One crop into the NCHW float32 batch at `offset`: channel planes R, G, B, pixels / 255. */
function fillCrop(image: RgbImage, x0: number, y0: number, size: number, out: Float32Array, offset: number): void {
  const { width, height, data } = image;
  if (x0 < 0 || y0 < 0 || x0 + size > width || y0 + size > height) {
    throw new Error(`Crop ${size}x${size} at (${x0},${y0}) lies outside the ${width}x${height} image`);
  }
  const plane = size * size;
  for (let y = 0; y < size; y++) {
    let src = ((y0 + y) * width + x0) * 3;
    let dst = offset + y * size;
    for (let x = 0; x < size; x++, src += 3, dst++) {
      out[dst] = data[src]! / 255;
      out[dst + plane] = data[src + 1]! / 255;
      out[dst + 2 * plane] = data[src + 2]! / 255;
    }
  }
}
