/**
 * Just enough of the ONNX protobuf (onnx/onnx.proto) to describe a model before running it: the
 * metadata entries (`ModelProto.metadata_props`) and the parameter count of the graph's
 * initializers. ONNX Runtime does not expose either. Pure (bytes in, values out), bounded: every
 * length is checked against the buffer, so a truncated or hostile file is an error, never a hang
 * or an allocation it declares.
 */

/** Field numbers used here (onnx.proto, IR version 3+). */
const MODEL_GRAPH = 7;
const MODEL_METADATA = 14;
const GRAPH_INITIALIZER = 5;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
/** TensorProto.DataType values that hold learnable numbers: FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);

export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFormatError';
  }
}

interface Field {
  readonly field: number;
  /** varint value (wire type 0) */
  readonly value?: number;
  /** [start, end) of a length-delimited payload (wire type 2) */
  readonly start?: number;
  readonly end?: number;
}

function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new OnnxFormatError('truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale; // doubles: exact up to 2^53, far beyond any length in a file we read
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
  throw new OnnxFormatError('varint longer than 10 bytes');
}

/** The fields of one message in buf[start, end), in file order. */
export function* protoFields(buf: Uint8Array, start = 0, end = buf.length): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [key, p] = readVarint(buf, pos, end);
    pos = p;
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new OnnxFormatError('field number 0');
    if (wire === 0) {
      const [value, q] = readVarint(buf, pos, end);
      pos = q;
      yield { field, value };
    } else if (wire === 2) {
      const [len, q] = readVarint(buf, pos, end);
      if (q + len > end) throw new OnnxFormatError(`field ${field} runs past the end (${len} bytes declared)`);
      pos = q + len;
      yield { field, start: q, end: pos };
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else {
      throw new OnnxFormatError(`unsupported wire type ${wire}`);
    }
    if (pos > end) throw new OnnxFormatError('truncated field');
  }
}

const text = (buf: Uint8Array, f: Field): string => new TextDecoder().decode(buf.subarray(f.start!, f.end!));

/** Dims of a TensorProto: `repeated int64 dims`, written packed or one by one. */
function tensorDims(buf: Uint8Array, f: Field, dims: number[]): void {
  if (f.value !== undefined) {
    dims.push(f.value);
    return;
  }
  for (let pos = f.start!; pos < f.end!;) {
    const [v, q] = readVarint(buf, pos, f.end!);
    dims.push(v);
    pos = q;
  }
}

export interface OnnxModelInfo {
  /** ModelProto.metadata_props, key -> value */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Elements of the floating-point initializers, without batch-norm running statistics (which a
   * framework counts as buffers, not parameters). An exporter that folds batch norm into the
   * convolutions changes this count, so a `parameters` metadata entry, when present, is preferred.
   */
  readonly initializerParameters: number;
  readonly initializers: number;
}

function isBufferStatistic(name: string): boolean {
  return /(^|[._])(running_mean|running_var|num_batches_tracked)$/.test(name);
}

export function readOnnxModelInfo(buf: Uint8Array): OnnxModelInfo {
  const metadata: Record<string, string> = {};
  let parameters = 0;
  let initializers = 0;
  let sawGraph = false;
  for (const f of protoFields(buf)) {
    if (f.field === MODEL_METADATA && f.start !== undefined) {
      let key = '';
      let value = '';
      for (const e of protoFields(buf, f.start, f.end)) {
        if (e.field === ENTRY_KEY && e.start !== undefined) key = text(buf, e);
        if (e.field === ENTRY_VALUE && e.start !== undefined) value = text(buf, e);
      }
      metadata[key] = value;
    } else if (f.field === MODEL_GRAPH && f.start !== undefined) {
      sawGraph = true;
      for (const g of protoFields(buf, f.start, f.end)) {
        if (g.field !== GRAPH_INITIALIZER || g.start === undefined) continue;
        initializers++;
        const dims: number[] = [];
        let type = 0;
        let name = '';
        for (const t of protoFields(buf, g.start, g.end)) {
          if (t.field === TENSOR_DIMS) tensorDims(buf, t, dims);
          else if (t.field === TENSOR_DATA_TYPE && t.value !== undefined) type = t.value;
          else if (t.field === TENSOR_NAME && t.start !== undefined) name = text(buf, t);
        }
        if (FLOAT_TYPES.has(type) && !isBufferStatistic(name)) parameters += dims.reduce((a, b) => a * b, 1);
      }
    }
  }
  if (!sawGraph) throw new OnnxFormatError('no graph (not an ONNX model)');
  return { metadata, initializerParameters: parameters, initializers };
}
