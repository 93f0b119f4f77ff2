/**
 * TensorBoard event files: TFRecord framing (u64 length, masked CRC-32C of the length, the record,
 * masked CRC-32C of the record) around Event protocol buffers (tensorflow/core/util/event.proto),
 * holding TF2-style summaries: a tensor plus the plugin that shows it (scalars, histograms, images,
 * text, graph_keras_model), as tf.summary writes them for Keras's TensorBoard callback.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ProtoWriter } from '../export/protobuf.js';

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum TFRecord uses.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 bits and add a constant (so CRCs of CRCs stay strong). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord around `data`. */
export function tfrecord(data: Uint8Array): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigUInt64LE(BigInt(data.length), 0);
  head.writeUInt32LE(maskedCrc32c(head.subarray(0, 8)), 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([head, data, tail]);
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const DT_STRING = 7;

function shape(dims: readonly number[]): ProtoWriter {
  const s = new ProtoWriter();
  for (const d of dims) s.message(2, new ProtoWriter().int64(1, d));
  return s;
}

function pluginMetadata(plugin: string, content?: string): ProtoWriter {
  const data = new ProtoWriter().string(1, plugin);
  if (content !== undefined) data.string(2, content);
  return new ProtoWriter().message(1, data);
}

/** A Summary.Value with a tensor (field 8) and its plugin metadata (field 9). */
export interface SummaryValue {
  tag: string;
  tensor: ProtoWriter;
  metadata: ProtoWriter;
}

export function scalarValue(tag: string, value: number): SummaryValue {
  const content = new Uint8Array(4);
  new DataView(content.buffer).setFloat32(0, value, true);
  return { tag, tensor: new ProtoWriter().int64(1, DT_FLOAT).message(2, shape([])).bytes(4, content), metadata: pluginMetadata('scalars') };
}

/** [buckets, 3] float64 rows of (left edge, right edge, count), as tensorboard's histogram summary. */
export function histogramValue(tag: string, rows: Float64Array, buckets: number): SummaryValue {
  const content = new Uint8Array(rows.buffer.slice(rows.byteOffset, rows.byteOffset + rows.byteLength));
  return { tag, tensor: new ProtoWriter().int64(1, DT_DOUBLE).message(2, shape([buckets, 3])).bytes(4, content), metadata: pluginMetadata('histograms') };
}

/** Width, height, then one PNG per image: tf.summary.image's string tensor. */
export function imageValue(tag: string, width: number, height: number, pngs: readonly Uint8Array[]): SummaryValue {
  const t = new ProtoWriter().int64(1, DT_STRING).message(2, shape([pngs.length + 2])).string(8, String(width)).string(8, String(height));
  for (const png of pngs) t.bytes(8, png);
  return { tag, tensor: t, metadata: pluginMetadata('images') };
}

function stringScalar(text: string): ProtoWriter {
  return new ProtoWriter().int64(1, DT_STRING).message(2, shape([])).string(8, text);
}

/** Markdown text for TensorBoard's Text dashboard. */
export function textValue(tag: string, text: string): SummaryValue {
  return { tag, tensor: stringScalar(text), metadata: pluginMetadata('text') };
}

/** The model's Keras config, which TensorBoard's Graphs dashboard draws (Keras writes it as "keras"). */
export function kerasModelValue(json: string): SummaryValue {
  return { tag: 'keras', tensor: stringScalar(json), metadata: pluginMetadata('graph_keras_model', '1') };
}

function event(wallTime: number, step: number): ProtoWriter {
  const e = new ProtoWriter().double(1, wallTime);
  if (step !== 0) e.int64(2, step); // proto3 leaves a zero step out, as TensorFlow's writer does
  return e;
}

export function summaryEvent(wallTime: number, step: number, value: SummaryValue): Uint8Array {
  const v = new ProtoWriter().string(1, value.tag).message(8, value.tensor).message(9, value.metadata);
  return event(wallTime, step).message(5, new ProtoWriter().message(1, v)).finish();
}

/**
 * An append-only event file: events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2 in its folder, its
 * first record the file_version event. Each flush() writes what was added and syncs it, so a live
 * TensorBoard sees whole records only.
 */
export class EventFile {
  readonly path: string;
  private fd: number;
  private pending: Buffer[] = [];
  private static counter = 0;

  constructor(dir: string, now = Date.now()) {
    mkdirSync(dir, { recursive: true });
    const seconds = Math.floor(now / 1000);
    this.path = join(dir, `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${EventFile.counter++}.v2`);
    this.fd = openSync(this.path, 'wx');
    const first = new ProtoWriter().double(1, seconds).string(3, 'brain.Event:2').message(10, new ProtoWriter().string(1, 'cnn'));
    this.pending.push(tfrecord(first.finish()));
    this.flush();
  }

  add(step: number, value: SummaryValue, wallTime = Date.now() / 1000): void {
    this.pending.push(tfrecord(summaryEvent(wallTime, step, value)));
  }

  flush(): void {
    if (this.fd < 0 || this.pending.length === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    let at = 0;
    while (at < data.length) at += writeSync(this.fd, data, at);
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}
