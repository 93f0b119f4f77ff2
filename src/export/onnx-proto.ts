/**
 * Encodes a small in-memory ONNX graph description as an ONNX ModelProto (onnx/onnx.proto field
 * numbers). Only what `cnn` exports is covered: float tensors, int/float/ints/string attributes,
 * one graph with named inputs and outputs, metadata properties.
 */
import { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto.DataType */
const FLOAT = 1;
const INT64 = 7;

/** AttributeProto.AttributeType */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

export type AttributeValue = number | string | number[] | { float: number };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

export interface OnnxInitializer {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface OnnxValueInfo {
  name: string;
  /** A string is a symbolic dimension (the batch size, "N"). */
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxModelInfo {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
}

function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'string') return w.string(4, value).int64(20, ATTR_STRING);
  if (Array.isArray(value)) return w.packedInt64(8, value).int64(20, ATTR_INTS);
  if (typeof value === 'object') return w.float(2, value.float).int64(20, ATTR_FLOAT);
  if (!Number.isInteger(value)) throw new RangeError(`ONNX attribute ${name}: ${value} is not an integer (wrap floats as {float})`);
  return w.int64(3, value).int64(20, ATTR_INT);
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name).string(4, node.op);
  for (const [key, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(key, value));
  return w;
}

function encodeTensor(t: OnnxInitializer): ProtoWriter {
  const w = new ProtoWriter().packedInt64(1, t.dims);
  const isFloat = t.data instanceof Float32Array;
  w.int64(2, isFloat ? FLOAT : INT64).string(8, t.name);
  // raw_data must be little-endian; copy element by element so a big-endian host writes it right too.
  const bytes = new Uint8Array(t.data.length * (isFloat ? 4 : 8));
  const view = new DataView(bytes.buffer);
  if (t.data instanceof Float32Array) t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  else t.data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return w.bytes(9, bytes);
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    shape.message(1, typeof d === 'string' ? new ProtoWriter().string(2, d) : new ProtoWriter().int64(1, d));
  }
  const tensorType = new ProtoWriter().int64(1, FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function encodeGraph(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, encodeValueInfo(v));
  for (const v of g.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

export function encodeOnnxModel(graph: OnnxGraph, info: OnnxModelInfo): Uint8Array {
  const w = new ProtoWriter()
    .int64(1, info.irVersion)
    .string(2, info.producerName)
    .string(3, info.producerVersion);
  if (info.docString) w.string(6, info.docString);
  w.message(7, encodeGraph(graph));
  w.message(8, new ProtoWriter().string(1, '').int64(2, info.opsetVersion));
  for (const [key, value] of Object.entries(info.metadata ?? {})) {
    w.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return w.finish();
}
