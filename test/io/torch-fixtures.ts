/**
 * Writers for small crafted PyTorch checkpoints (test-only): the same opcodes torch.save emits,
 * so the reader can be tested on shapes, dtypes, strides and containers the real files lack.
 */
import { crc32 } from '../../src/io/torch/zip.js';

const enc = new TextEncoder();

/** Builds a protocol-2 pickle from opcodes. */
export class PickleWriter {
  private readonly parts: number[] = [];
  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.parts.push(...bytes);
    return this;
  }
  proto(): this { return this.op(0x80, 2); }
  stop(): this { return this.op(0x2e); }
  mark(): this { return this.op(0x28); }
  str(s: string): this {
    const b = enc.encode(s);
    const len = new Uint8Array(new Uint32Array([b.length]).buffer);
    return this.op(0x58).raw(len).raw(b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.op(0x4a).raw(new Uint8Array(new Int32Array([n]).buffer));
    return this.long(BigInt(n));
  }
  /** LONG1: a little-endian two's complement integer of up to 255 bytes (how pickle writes big ints). */
  long(n: bigint): this {
    const bytes: number[] = [];
    let v = n;
    do {
      bytes.push(Number(v & 0xffn));
      v >>= 8n;
    } while (!((v === 0n && !(bytes[bytes.length - 1]! & 0x80)) || (v === -1n && bytes[bytes.length - 1]! & 0x80)));
    return this.op(0x8a, bytes.length, ...bytes);
  }
  global(module: string, name: string): this {
    return this.op(0x63).raw(enc.encode(`${module}\n${name}\n`));
  }
  tuple(items: number[]): this {
    this.mark();
    for (const v of items) this.int(v);
    return this.op(0x74);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface FixtureTensor {
  shape: number[];
  /** defaults to row-major */
  stride?: number[];
  dtype?: 'float32' | 'float64' | 'int64' | 'float16';
  /** storage contents (length = storage numel); for float16, the raw 16-bit patterns */
  storage: number[];
  /** storage_offset (default 0) */
  offset?: number;
  /** element count declared in the persistent id (default: storage.length), to craft lying files */
  declaredNumel?: number;
}

const STORAGE: Record<NonNullable<FixtureTensor['dtype']>, string> = { float32: 'FloatStorage', float64: 'DoubleStorage', int64: 'LongStorage', float16: 'HalfStorage' };

function rowMajor(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  for (let d = shape.length - 1, acc = 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]!; }
  return s;
}

/**
 * The state-dict pickle: {'state_dict': OrderedDict(name -> tensor)}, storage keys "0", "1", ...
 * Persistent ids are 5-tuples (zip format) or 6-tuples ending in view_metadata None (legacy format).
 */
export function statePickle(tensors: Record<string, FixtureTensor>, wrap = true, pidLength: 5 | 6 = 5): Uint8Array {
  const w = new PickleWriter().proto();
  if (wrap) w.op(0x7d).str('state_dict');
  w.global('collections', 'OrderedDict').op(0x29, 0x52).mark();
  Object.entries(tensors).forEach(([name, t], i) => {
    w.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', STORAGE[t.dtype ?? 'float32']).str(String(i)).str('cpu').int(t.declaredNumel ?? t.storage.length);
    if (pidLength === 6) w.op(0x4e);
    w.op(0x74, 0x51);
    w.int(t.offset ?? 0).tuple(t.shape).tuple(t.stride ?? rowMajor(t.shape)).op(0x89);
    w.global('collections', 'OrderedDict').op(0x29, 0x52).op(0x74, 0x52);
  });
  w.op(0x75);
  if (wrap) w.op(0x73);
  return w.stop().bytes();
}

function storageBytes(t: FixtureTensor): Uint8Array {
  const dtype = t.dtype ?? 'float32';
  if (dtype === 'float32') return new Uint8Array(Float32Array.from(t.storage).buffer);
  if (dtype === 'float64') return new Uint8Array(Float64Array.from(t.storage).buffer);
  if (dtype === 'float16') return new Uint8Array(Uint16Array.from(t.storage).buffer);
  return new Uint8Array(BigInt64Array.from(t.storage, (v) => BigInt(v)).buffer);
}

/** A STORED zip archive (local headers with real sizes; central directory; no zip64). */
export function zipArchive(files: Array<{ name: string; data: Uint8Array; method?: number }>): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = enc.encode(f.name);
    const local = new DataView(new ArrayBuffer(30));
    const crc = crc32(f.data);
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(8, f.method ?? 0, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, f.data.length, true);
    local.setUint32(22, f.data.length, true);
    local.setUint16(26, name.length, true);
    chunks.push(new Uint8Array(local.buffer), name, f.data);
    const cd = new DataView(new ArrayBuffer(46));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(10, f.method ?? 0, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, f.data.length, true);
    cd.setUint32(24, f.data.length, true);
    cd.setUint16(28, name.length, true);
    cd.setUint32(42, offset, true);
    central.push(new Uint8Array(cd.buffer), name);
    offset += 30 + name.length + f.data.length;
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, files.length, true);
  eocd.setUint16(10, files.length, true);
  eocd.setUint32(12, cdSize, true);
  eocd.setUint32(16, offset, true);
  const all = [...chunks, ...central, new Uint8Array(eocd.buffer)];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let p = 0;
  for (const c of all) { out.set(c, p); p += c.length; }
  return out;
}

/** A zip-format checkpoint (torch >= 1.6 layout) holding the given tensors. */
export function zipCheckpoint(tensors: Record<string, FixtureTensor>, options: { wrap?: boolean; prefix?: string } = {}): Uint8Array {
  const prefix = options.prefix ?? 'archive/';
  return zipArchive([
    { name: `${prefix}data.pkl`, data: statePickle(tensors, options.wrap ?? true) },
    ...Object.values(tensors).map((t, i) => ({ name: `${prefix}data/${i}`, data: storageBytes(t) })),
    { name: `${prefix}version`, data: enc.encode('3\n') },
  ]);
}

/**
 * A legacy-format checkpoint (torch < 1.6): magic number, protocol, sys_info, the state-dict pickle,
 * the storage key list, then each storage as int64 numel + raw bytes.
 */
export function legacyCheckpoint(tensors: Record<string, FixtureTensor>, options: { wrap?: boolean } = {}): Uint8Array {
  const magic = new PickleWriter().proto().long(0x1950a86a20f9469cfc6cn).stop().bytes();
  const protocol = new PickleWriter().proto().int(1001).stop().bytes();
  const sysInfo = new PickleWriter().proto().op(0x7d).mark().str('protocol_version').int(1001).str('little_endian').op(0x88).op(0x75).stop().bytes();
  const object = statePickle(tensors, options.wrap ?? true, 6);
  const list = Object.values(tensors);
  // torch sorts the storage keys as strings ("10" before "2"), and the storages follow in that order.
  const order = list.map((_, i) => String(i)).sort();
  const keys = new PickleWriter().proto().op(0x5d).mark();
  for (const key of order) keys.str(key);
  const keyList = keys.op(0x65).stop().bytes();
  const parts: Uint8Array[] = [magic, protocol, sysInfo, object, keyList];
  for (const t of order.map((key) => list[Number(key)]!)) {
    parts.push(new Uint8Array(BigInt64Array.from([BigInt(t.declaredNumel ?? t.storage.length)]).buffer), storageBytes(t));
  }
  return concatBytes(parts);
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, c) => a + c.length, 0));
  let p = 0;
  for (const c of parts) { out.set(c, p); p += c.length; }
  return out;
}

/** conv/fc tensors of a K-kernel FocusLiteNN with deterministic values. */
export function focusLiteTensors(k: number, prefix = ''): Record<string, FixtureTensor> {
  const conv = Array.from({ length: k * 147 }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  const out: Record<string, FixtureTensor> = {
    [`${prefix}conv.weight`]: { shape: [k, 3, 7, 7], storage: conv },
    [`${prefix}conv.bias`]: { shape: [k], storage: Array.from({ length: k }, (_, i) => i * 0.25 - 0.1) },
  };
  if (k > 1) {
    out[`${prefix}fc.weight`] = { shape: [1, k, 1, 1], storage: Array.from({ length: k }, (_, i) => 1 - i * 0.5) };
    out[`${prefix}fc.bias`] = { shape: [1], storage: [0.75] };
  }
  return out;
}
