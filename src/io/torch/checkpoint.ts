/**
 * PyTorch checkpoints (torch.save of a state dict) read natively, without Python. Pure TS.
 *
 * Two containers exist (see ../shared/reference/pytorch-checkpoint-format.md):
 *  - legacy (torch < 1.6): five pickles in a row (magic number, protocol, sys_info, the object,
 *    the list of storage keys), then each storage as int64 numel + raw little-endian data;
 *  - zip (torch >= 1.6): `<prefix>/data.pkl` plus one stored entry `<prefix>/data/<key>` per storage.
 * Tensors are `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` calls whose
 * storage is a persistent id; both are resolved here, nothing from the file is ever executed.
 */
import { createModel, MAX_KERNELS, type FocusLiteModel, type ScoreScale } from '../../core/model.js';
import { PickleDict, PickleGlobal, PickleOpaque, PickleTuple, readPickle, type PickleOptions, type PickleValue } from './pickle.js';
import { sha256Hex } from './sha256.js';
import { looksLikeZip, ZipArchive } from './zip.js';

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'int64' | 'int32';

/** One tensor, contiguous row-major. float16 is widened to float32 values (dtype still says float16). */
export type TorchTensor =
  | { readonly dtype: 'float32' | 'float16'; readonly shape: number[]; readonly data: Float32Array }
  | { readonly dtype: 'float64'; readonly shape: number[]; readonly data: Float64Array }
  | { readonly dtype: 'int64'; readonly shape: number[]; readonly data: BigInt64Array }
  | { readonly dtype: 'int32'; readonly shape: number[]; readonly data: Int32Array };

export type CheckpointFormat = 'legacy' | 'zip';

export interface TorchCheckpoint {
  readonly format: CheckpointFormat;
  /** state dict with a leading `module.` (DataParallel) stripped from each key, in file order */
  readonly tensors: Map<string, TorchTensor>;
  /** the keys exactly as stored in the file */
  readonly keys: string[];
}

/** Every failure: one line starting with the label (usually the file name). */
export class CheckpointError extends Error {
  constructor(label: string, problem: string) {
    super(`${label}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

const STORAGE_TYPES: Record<string, { dtype: TorchDtype; size: number }> = {
  'torch FloatStorage': { dtype: 'float32', size: 4 },
  'torch DoubleStorage': { dtype: 'float64', size: 8 },
  'torch HalfStorage': { dtype: 'float16', size: 2 },
  'torch LongStorage': { dtype: 'int64', size: 8 },
  'torch IntStorage': { dtype: 'int32', size: 4 },
};
const REBUILD_TENSOR = 'torch._utils _rebuild_tensor_v2';
const TORCH_GLOBALS: ReadonlySet<string> = new Set(['collections OrderedDict', REBUILD_TENSOR, ...Object.keys(STORAGE_TYPES)]);
const NO_GLOBALS: ReadonlySet<string> = new Set();
/** torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

interface StorageRef {
  readonly key: string;
  readonly dtype: TorchDtype;
  readonly elemSize: number;
  readonly numel: number;
  data: Uint8Array | null;
}

interface PendingTensor {
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

/** True when the bytes look like a torch.save file (legacy pickle stream or zip). */
export function looksLikeTorchCheckpoint(bytes: Uint8Array): boolean {
  return (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) || looksLikeZip(bytes);
}

function isCount(v: PickleValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function intTuple(v: PickleValue, what: string): number[] {
  if (!(v instanceof PickleTuple) || !v.items.every(isCount)) throw new Error(`tensor ${what} is not a tuple of non-negative integers`);
  return v.items as number[];
}

/** Pickle hooks that collect storages (by key) and pending tensors. */
function torchPickleOptions(storages: Map<string, StorageRef>, pidLength: 5 | 6): PickleOptions {
  return {
    allowedGlobals: TORCH_GLOBALS,
    persistentLoad(pid) {
      const items = pid instanceof PickleTuple ? pid.items : [];
      const [kind, type, key, , numel, view] = items;
      if (items.length !== pidLength || kind !== 'storage' || !(type instanceof PickleGlobal) || typeof key !== 'string' || !isCount(numel!)) {
        throw new Error('unexpected persistent id (expected a torch storage reference)');
      }
      if (pidLength === 6 && view !== null) throw new Error('storage views (view_metadata) are not supported');
      const kindOf = STORAGE_TYPES[type.qualified];
      if (!kindOf) throw new Error(`storage type "${type.qualified}" is not supported`);
      let ref = storages.get(key);
      if (!ref) {
        ref = { key, dtype: kindOf.dtype, elemSize: kindOf.size, numel: numel as number, data: null };
        storages.set(key, ref);
      } else if (ref.dtype !== kindOf.dtype || ref.numel !== numel) {
        throw new Error(`storage "${key}" is referenced with two different types or sizes`);
      }
      return new PickleOpaque('storage', ref);
    },
    reduce(fn, args) {
      if (fn.qualified !== REBUILD_TENSOR) throw new Error(`pickle calls global "${fn.qualified}", which is not allowed (only tensors, dicts and lists are read)`);
      const [storage, offset, size, stride] = args.items;
      if (args.items.length < 4 || !(storage instanceof PickleOpaque) || storage.tag !== 'storage' || !isCount(offset!)) {
        throw new Error('malformed tensor record (_rebuild_tensor_v2 arguments)');
      }
      const shape = intTuple(size!, 'size');
      const strides = intTuple(stride!, 'stride');
      if (shape.length !== strides.length) throw new Error('tensor size and stride have different lengths');
      const pending: PendingTensor = { storage: storage.value as StorageRef, offset: offset as number, shape, stride: strides };
      return new PickleOpaque('tensor', pending);
    },
  };
}

function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A view may repeat storage elements (torch's expand gives stride 0), so its element count is not
 * bounded by the file. Up to this many elements are read regardless (small expanded constants);
 * beyond it a tensor may not hold more elements than its storage, so what is allocated stays
 * proportional to what the file actually contains.
 */
export const SMALL_VIEW_ELEMENTS = 1 << 16;

/** Row-major strides (dimensions of size 1 may have any stride). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  for (let d = shape.length - 1, expect = 1; d >= 0; expect *= shape[d]!, d--) {
    if (shape[d]! > 1 && stride[d] !== expect) return false;
  }
  return true;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks a tensor's layout against its storage before anything is allocated: the element count is
 * bounded (see SMALL_VIEW_ELEMENTS), the offset and the last element lie inside the storage.
 * Strides are non-negative integers (checked when the pickle was read).
 */
function checkLayout(t: PendingTensor): number {
  const { storage, shape, stride, offset } = t;
  const numel = elementCount(shape);
  const where = `storage "${storage.key}" (${storage.numel} elements)`;
  if (!Number.isSafeInteger(numel) || numel > 2 ** 31) throw new Error(`a tensor of shape ${shapeText(shape)} is too large`);
  if (offset > storage.numel) throw new Error(`a tensor starts at element ${offset}, past the end of ${where}`);
  if (numel > storage.numel && numel > SMALL_VIEW_ELEMENTS) {
    throw new Error(`a tensor of shape ${shapeText(shape)} has ${numel} elements but its ${where} holds fewer ` +
      '(a stride-0 or overlapping view, e.g. from expand); such views are not read');
  }
  if (numel > 0) {
    const last = offset + shape.reduce((acc, d, i) => acc + (d - 1) * stride[i]!, 0);
    if (!Number.isSafeInteger(last) || last >= storage.numel) throw new Error(`a tensor reaches past the end of ${where}`);
  }
  return numel;
}

/** Reads element `e` of the storage as a number (float16 widened) or bigint (int64). */
type ElementReader = (view: DataView, e: number) => number;

const READERS: Record<Exclude<TorchDtype, 'int64'>, ElementReader> = {
  float32: (v, e) => v.getFloat32(e * 4, true),
  float16: (v, e) => float16ToNumber(v.getUint16(e * 2, true)),
  float64: (v, e) => v.getFloat64(e * 8, true),
  int32: (v, e) => v.getInt32(e * 4, true),
};

/** Calls `visit(i, e)` for each tensor element i (row-major) with its storage element index e; no index array. */
function forEachElement(shape: readonly number[], stride: readonly number[], offset: number, numel: number, visit: (i: number, e: number) => void): void {
  const counter = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    visit(i, at);
    for (let d = shape.length - 1; d >= 0; d--) {
      at += stride[d]!;
      if (++counter[d]! < shape[d]!) break;
      at -= counter[d]! * stride[d]!;
      counter[d] = 0;
    }
  }
}

/** Gather a (possibly strided) tensor out of its storage bytes into a contiguous typed array. */
function materialize(t: PendingTensor): TorchTensor {
  const { storage, shape, stride, offset } = t;
  const numel = checkLayout(t);
  const bytes = storage.data!;
  const size = storage.elemSize;
  if (HOST_LITTLE_ENDIAN && isContiguous(shape, stride) && storage.dtype !== 'float16') {
    // Fast path (every tensor of the published files): copy the bytes, which also aligns them.
    // Uint8Array's slice, not Buffer's: Buffer.prototype.slice returns a view of a pooled buffer.
    const copy = Uint8Array.prototype.slice.call(bytes, offset * size, (offset + numel) * size).buffer;
    switch (storage.dtype) {
      case 'float32': return { dtype: 'float32', shape, data: new Float32Array(copy) };
      case 'float64': return { dtype: 'float64', shape, data: new Float64Array(copy) };
      case 'int32': return { dtype: 'int32', shape, data: new Int32Array(copy) };
      case 'int64': return { dtype: 'int64', shape, data: new BigInt64Array(copy) };
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (storage.dtype === 'int64') {
    const data = new BigInt64Array(numel);
    forEachElement(shape, stride, offset, numel, (i, e) => { data[i] = view.getBigInt64(e * 8, true); });
    return { dtype: 'int64', shape, data };
  }
  const read = READERS[storage.dtype];
  const data = storage.dtype === 'float64' ? new Float64Array(numel) : storage.dtype === 'int32' ? new Int32Array(numel) : new Float32Array(numel);
  forEachElement(shape, stride, offset, numel, (i, e) => { data[i] = read(view, e); });
  return { dtype: storage.dtype, shape, data } as TorchTensor;
}

function readLegacy(bytes: Uint8Array): { root: PickleValue; storages: Map<string, StorageRef> } {
  const magic = readPickle(bytes, 0, { allowedGlobals: NO_GLOBALS });
  if (magic.value !== LEGACY_MAGIC) throw new Error('not a PyTorch checkpoint (a pickle, but without torch\'s magic number)');
  const proto = readPickle(bytes, magic.end, { allowedGlobals: NO_GLOBALS });
  if (proto.value !== LEGACY_PROTOCOL) throw new Error(`unsupported legacy torch protocol version ${String(proto.value)}`);
  const sysInfo = readPickle(bytes, proto.end, { allowedGlobals: NO_GLOBALS });
  if (sysInfo.value instanceof PickleDict && sysInfo.value.get('little_endian') === false) {
    throw new Error('checkpoint was written on a big-endian machine, which is not supported');
  }
  const storages = new Map<string, StorageRef>();
  const object = readPickle(bytes, sysInfo.end, torchPickleOptions(storages, 6));
  const keyList = readPickle(bytes, object.end, { allowedGlobals: NO_GLOBALS });
  if (!Array.isArray(keyList.value) || !keyList.value.every((k) => typeof k === 'string')) {
    throw new Error('legacy storage key list is malformed');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keyList.end;
  // Storages follow in the order of the key list (sorted as strings), not in pickle order.
  for (const key of keyList.value as string[]) {
    const ref = storages.get(key);
    if (!ref) throw new Error(`storage "${key}" is listed but no tensor uses it`);
    if (pos + 8 > bytes.length) throw new Error('storage data ends unexpectedly (file truncated?)');
    const numel = view.getBigInt64(pos, true);
    if (numel !== BigInt(ref.numel)) throw new Error(`storage "${key}" holds ${numel} elements, but its tensors expect ${ref.numel} (corrupt file)`);
    const len = ref.numel * ref.elemSize;
    if (pos + 8 + len > bytes.length) throw new Error('storage data ends unexpectedly (file truncated?)');
    ref.data = bytes.subarray(pos + 8, pos + 8 + len);
    pos += 8 + len;
  }
  return { root: object.value, storages };
}

function readZip(bytes: Uint8Array): { root: PickleValue; storages: Map<string, StorageRef> } {
  const zip = new ZipArchive(bytes);
  const pkl = zip.entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) throw new Error('not a PyTorch checkpoint (a zip archive without data.pkl)');
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const order = zip.find(`${prefix}byteorder`);
  if (order && new TextDecoder().decode(zip.read(order)).trim() === 'big') {
    throw new Error('checkpoint was written in big-endian byte order, which is not supported');
  }
  const storages = new Map<string, StorageRef>();
  const root = readPickle(zip.read(pkl), 0, torchPickleOptions(storages, 5)).value;
  for (const ref of storages.values()) {
    const name = `${prefix}data/${ref.key}`;
    const entry = zip.find(name);
    if (!entry) throw new Error(`zip entry "${name}" is missing (truncated or corrupt archive)`);
    const data = zip.read(entry);
    if (data.length !== ref.numel * ref.elemSize) {
      throw new Error(`zip entry "${name}" holds ${data.length} bytes, expected ${ref.numel * ref.elemSize}`);
    }
    ref.data = data;
  }
  return { root, storages };
}

function isTensor(v: PickleValue | undefined): v is PickleOpaque<PendingTensor> {
  return v instanceof PickleOpaque && v.tag === 'tensor';
}

function describeKeys(keys: Iterable<unknown>, limit = 5): string {
  const all = [...keys].map(String);
  const shown = all.slice(0, limit).join(', ');
  return all.length > limit ? `${shown}, ... (${all.length} in all)` : shown || 'none';
}

/** The state dict inside the top-level object: `{'state_dict': OrderedDict}` or a bare state dict. */
function findStateDict(root: PickleValue): PickleDict {
  if (!(root instanceof PickleDict)) throw new Error('the checkpoint holds no dict of tensors (not a state dict)');
  for (const key of ['state_dict', 'model_state_dict']) {
    const inner = root.get(key);
    if (inner instanceof PickleDict) return inner;
  }
  if (root.entries.size > 0 && [...root.entries.values()].every(isTensor)) return root;
  throw new Error(`no state dict found (top-level keys: ${describeKeys(root.entries.keys())})`);
}

/** A tensor as the file declares it, before any of its data is read. */
export interface TorchTensorInfo {
  readonly dtype: TorchDtype;
  readonly shape: number[];
  readonly numel: number;
}

/**
 * A checkpoint opened without reading tensor data: its keys, dtypes and shapes can be checked
 * first, then only the tensors needed are read (`read`), each bounded by its storage.
 */
export interface TorchCheckpointIndex {
  readonly format: CheckpointFormat;
  /** tensor name (without `module.`) -> dtype and shape, in file order */
  readonly tensors: Map<string, TorchTensorInfo>;
  /** the keys exactly as stored in the file */
  readonly keys: string[];
  /** elements held by the file's storages (each storage counted once) */
  readonly storageElements: number;
  /** Check one tensor's layout against its storage without reading it; throws like `read`. */
  check(name: string): void;
  /** Read one tensor (name without `module.`); throws CheckpointError (one line) on a bad layout. */
  read(name: string): TorchTensor;
}

function formatOf(bytes: Uint8Array, label: string): CheckpointFormat {
  if (looksLikeZip(bytes)) return 'zip';
  if (bytes.length >= 2 && bytes[0] === 0x80) return 'legacy';
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new CheckpointError(label, `not a PyTorch checkpoint (expected a zip archive or a pickle stream, file starts with ${head || 'nothing'})`);
}

/** Runs `fn`, turning any failure into a one-line CheckpointError starting with the label. */
function labelled<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    // PickleError / ZipError / our own checks: already one line, without the label.
    const msg = err instanceof Error ? err.message : String(err);
    throw new CheckpointError(label, msg.split('\n')[0]!);
  }
}

/**
 * Open a torch.save checkpoint (legacy or zip) holding a state dict: parses the pickle and checks
 * every storage's size (and CRC in zips) against the file, but reads no tensor yet.
 */
export function openTorchCheckpoint(bytes: Uint8Array, label: string): TorchCheckpointIndex {
  const format = formatOf(bytes, label);
  return labelled(label, () => {
    const { root, storages } = format === 'zip' ? readZip(bytes) : readLegacy(bytes);
    const storageElements = [...storages.values()].reduce((a, ref) => a + ref.numel, 0);
    const dict = findStateDict(root);
    const pending = new Map<string, PendingTensor>();
    const tensors = new Map<string, TorchTensorInfo>();
    const keys: string[] = [];
    for (const [key, value] of dict.entries) {
      if (typeof key !== 'string') throw new Error(`state dict key ${String(key)} is not a string`);
      if (!isTensor(value)) throw new Error(`state dict entry "${key}" is not a tensor`);
      const name = key.startsWith('module.') ? key.slice('module.'.length) : key;
      if (tensors.has(name)) throw new Error(`state dict has "${name}" twice (with and without "module.")`);
      keys.push(key);
      pending.set(name, value.value);
      tensors.set(name, { dtype: value.value.storage.dtype, shape: value.value.shape, numel: elementCount(value.value.shape) });
    }
    const withTensor = <T>(name: string, fn: (t: PendingTensor) => T): T => {
      const t = pending.get(name);
      if (!t) throw new CheckpointError(label, `tensor ${name} is missing`);
      return labelled(label, () => {
        try {
          return fn(t);
        } catch (err) {
          throw new Error(`tensor ${name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
    };
    const check = (name: string): void => { withTensor(name, checkLayout); };
    const read = (name: string): TorchTensor => withTensor(name, materialize);
    return { format, tensors, keys, storageElements, check, read };
  });
}

/**
 * Read a torch.save checkpoint (legacy or zip) holding a state dict, every tensor materialised.
 * Each tensor is bounded by its storage (see SMALL_VIEW_ELEMENTS), and all of them together by
 * twice the stored elements (tied weights share a storage) plus a small allowance, so memory stays
 * proportional to the file. To read only some tensors, use openTorchCheckpoint.
 */
export function readTorchCheckpoint(bytes: Uint8Array, label: string): TorchCheckpoint {
  const index = openTorchCheckpoint(bytes, label);
  const stored = index.storageElements;
  const budget = 2 * stored + 16 * SMALL_VIEW_ELEMENTS;
  let total = 0;
  for (const [name, info] of index.tensors) {
    index.check(name);
    total += info.numel;
    if (total > budget) {
      throw new CheckpointError(label, `its tensors hold ${total}+ elements in all (up to ${name}), more than twice the ${stored} stored in the file (views repeating stored data); read tensors one at a time`);
    }
  }
  const tensors = new Map<string, TorchTensor>();
  for (const name of index.tensors.keys()) tensors.set(name, index.read(name));
  return { format: index.format, tensors, keys: index.keys };
}

/** The state dict of a torch.save checkpoint: tensor name (without `module.`) -> tensor. */
export function readTorchStateDict(bytes: Uint8Array, label: string): Map<string, TorchTensor> {
  return readTorchCheckpoint(bytes, label).tensors;
}

export interface ImportOptions {
  /** Override the score scale; default: `z-level` when the file name contains "mse", else `relative`. */
  readonly scale?: ScoreScale;
  /** Override the training resolution (µm/px); default FOCUSPATH_MPP; null = unknown. */
  readonly mpp?: number | null;
}

/**
 * Resolution of FocusPath, on which every published FocusLiteNN checkpoint was trained: scanned
 * at 40x, 0.25 µm per pixel (Huron TissueScope; as stated for FocusPath by its authors).
 */
export const FOCUSPATH_MPP = 0.25;

/** Last path component of a label (works for / and \ separators, no platform import). */
export function baseName(label: string): string {
  const parts = label.split(/[\\/]/);
  return parts[parts.length - 1] || label;
}

/**
 * Scale of an imported checkpoint: the published checkpoints carry no training metadata, but the
 * MSE ones (trained on |z-level|) are named `*-mse.pt`.
 */
export function scaleFromFileName(label: string): ScoreScale {
  return /mse/i.test(baseName(label)) ? 'z-level' : 'relative';
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Checks a tensor's dtype and shape from the index, and only then reads it. */
function floatTensor(label: string, ckpt: TorchCheckpointIndex, name: string, accepted: number[][], expected: string): Float32Array {
  const info = ckpt.tensors.get(name);
  if (!info) throw new CheckpointError(label, `tensor ${name} is missing (expected shape ${expected})`);
  if (info.dtype === 'int64' || info.dtype === 'int32') throw new CheckpointError(label, `tensor ${name} has dtype ${info.dtype}, expected floating point`);
  if (!accepted.some((s) => s.length === info.shape.length && s.every((d, i) => d === info.shape[i]))) {
    throw new CheckpointError(label, `tensor ${name} has shape ${shapeText(info.shape)}, expected ${expected}`);
  }
  return Float32Array.from(ckpt.read(name).data as Float32Array | Float64Array);
}

const FOCUSLITE_KEYS = new Set(['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias']);

/**
 * Import an original FocusLiteNN checkpoint (1, 2 or 10 kernels; PLCC or MSE) as a model with
 * min pooling. `label` (usually the path) starts every error and names the source in provenance.
 */
export function importFocusLiteCheckpoint(bytes: Uint8Array, label: string, options: ImportOptions = {}): FocusLiteModel {
  if (options.scale !== undefined && options.scale !== 'relative' && options.scale !== 'z-level') {
    throw new Error(`Expected scale "relative" or "z-level" but received ${String(options.scale)}`);
  }
  // Keys and shapes are checked on the index; only the (small) FocusLiteNN tensors are ever read.
  const ckpt = openTorchCheckpoint(bytes, label);
  const { tensors } = ckpt;
  const names = [...tensors.keys()];
  if (!tensors.has('conv.weight') || !tensors.has('conv.bias') || names.some((k) => !FOCUSLITE_KEYS.has(k))) {
    throw new CheckpointError(label, `not a FocusLiteNN checkpoint (expected conv.weight, conv.bias, fc.weight, fc.bias; found ${names.length} tensors: ${describeKeys(names)})`);
  }
  const convShape = tensors.get('conv.weight')!.shape;
  const k = convShape.length === 4 && convShape[0]! >= 1 ? convShape[0]! : 0;
  if (k > MAX_KERNELS) throw new CheckpointError(label, `tensor conv.weight has shape ${shapeText(convShape)}: ${k} kernels, more than FocusLiteNN's limit of ${MAX_KERNELS}`);
  const convWeight = floatTensor(label, ckpt, 'conv.weight', k ? [[k, 3, 7, 7]] : [], '[K,3,7,7]');
  const convBias = floatTensor(label, ckpt, 'conv.bias', [[k]], shapeText([k]));
  let fcWeight: Float32Array | null = null;
  let fcBias = 0;
  if (k === 1) {
    if (tensors.has('fc.weight') || tensors.has('fc.bias')) {
      throw new CheckpointError(label, 'a 1-kernel FocusLiteNN has no fc layer, but this checkpoint has fc tensors');
    }
  } else {
    fcWeight = floatTensor(label, ckpt, 'fc.weight', [[1, k, 1, 1], [1, k]], `${shapeText([1, k, 1, 1])} or ${shapeText([1, k])}`);
    fcBias = floatTensor(label, ckpt, 'fc.bias', [[1]], '[1]')[0]!;
  }
  const source = baseName(label);
  const scale = options.scale ?? scaleFromFileName(label);
  const mpp = options.mpp === undefined ? FOCUSPATH_MPP : options.mpp;
  try {
    return createModel({
      kernels: k,
      pooling: 'min',
      scale,
      convWeight,
      convBias,
      fcWeight,
      fcBias,
      mpp,
      // The -mse checkpoints were trained on FocusPath's |z-level| (z-level steps, not µm).
      unit: scale === 'z-level' ? 'focuspath-step' : null,
      provenance: {
        source: `imported from ${source}`, sha256: sha256Hex(bytes), format: ckpt.format, keys: ckpt.keys,
        mppSource: options.mpp === undefined ? `FocusPath (the published checkpoints' training data) was scanned at 40x, ${FOCUSPATH_MPP} µm/px` : 'given at import',
      },
    });
  } catch (err) {
    throw new CheckpointError(label, err instanceof Error ? err.message : String(err));
  }
}
