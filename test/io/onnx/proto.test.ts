/** The ONNX protobuf subset: metadata entries and parameter counts, truncated and foreign files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OnnxFormatError, protoFields, readOnnxModelInfo } from '../../../src/io/onnx/proto.js';
import { sharedOnly } from '../../helpers.js';
import { officialOnnx } from './onnx-helpers.js';

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array {
  return Uint8Array.from([...varint(field * 8 + 2), ...varint(payload.length), ...payload]);
}

/** A ModelProto.metadata_props entry: appending a field to a serialised message is valid protobuf. */
export function metadataEntry(key: string, value: string): Uint8Array {
  const enc = new TextEncoder();
  const entry = Uint8Array.from([...lengthDelimited(1, enc.encode(key)), ...lengthDelimited(2, enc.encode(value))]);
  return lengthDelimited(14, entry);
}

test('parameter counts of the official exports (PyTorch counts for FocusLiteNN and EONSS)', sharedOnly(), () => {
  const expected: Record<string, number> = { 'focuslitenn-1kernel': 148, 'focuslitenn-2kernel': 299, 'focuslitenn-10kernel': 1491, eonss: 123401 };
  for (const [name, params] of Object.entries(expected)) {
    const info = readOnnxModelInfo(readFileSync(officialOnnx(name)));
    assert.equal(info.initializerParameters, params, name);
    assert.deepEqual(info.metadata, {}, name);
  }
  // DenseNet-13: the export folded some batch norms, so its initializers hold 192,981 of PyTorch's
  // 193,557 parameters (running statistics excluded); the README and reports mark the count with ~
  assert.equal(readOnnxModelInfo(readFileSync(officialOnnx('densenet13'))).initializerParameters, 192981);
});

test('metadata entries appended to a model are read', sharedOnly(), () => {
  const base = readFileSync(officialOnnx('focuslitenn-1kernel'));
  const bytes = Buffer.concat([base, metadataEntry('parameters', '148'), metadataEntry('scale', 'z-level')]);
  const info = readOnnxModelInfo(bytes);
  assert.deepEqual(info.metadata, { parameters: '148', scale: 'z-level' });
});

test('truncated, foreign and hostile bytes are one clear error, never a hang', sharedOnly(), () => {
  const base = readFileSync(officialOnnx('eonss'));
  assert.throws(() => readOnnxModelInfo(base.subarray(0, base.length - 100)), OnnxFormatError);
  assert.throws(() => readOnnxModelInfo(Buffer.from('{"format": "focuslite-weights"}')), OnnxFormatError);
  // a length field declaring 2^50 bytes
  assert.throws(() => readOnnxModelInfo(Uint8Array.from([0x3a, ...varint(2 ** 50)])), /runs past the end/);
  assert.throws(() => [...protoFields(Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))], /varint/);
  assert.throws(() => readOnnxModelInfo(new Uint8Array(0)), /no graph/);
});
