/** Reads TensorBoard event files (TFRecord framing, Event and Summary protos) for the tests' checks. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskedCrc32c } from '../../src/tensorboard/events.js';

/** Reads varints and length-delimited fields: enough to find an Event's summary tags and step. */
export function fields(buf: Buffer): Map<number, (Buffer | bigint)[]> {
  const out = new Map<number, (Buffer | bigint)[]>();
  let at = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: Buffer | bigint;
    if (wire === 0) value = varint();
    else if (wire === 1) value = buf.subarray(at, (at += 8));
    else if (wire === 5) value = buf.subarray(at, (at += 4));
    else if (wire === 2) {
      const n = Number(varint());
      value = buf.subarray(at, (at += n));
    } else throw new Error(`wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

export interface EventRecord {
  step: number;
  tags: string[];
  /** Scalar summaries (a float32 tensor_content of 4 bytes): tag -> value. */
  scalars: Record<string, number>;
  fileVersion?: string;
}

/** Every record of an event file, each length and data CRC checked. */
export function readEvents(path: string): EventRecord[] {
  const data = readFileSync(path);
  const records: EventRecord[] = [];
  let at = 0;
  while (at < data.length) {
    assert.ok(at + 12 <= data.length, `${path}: a record header is cut at ${at}`);
    const length = Number(data.readBigUInt64LE(at));
    assert.equal(data.readUInt32LE(at + 8), maskedCrc32c(data.subarray(at, at + 8)), `${path}: length CRC at ${at}`);
    const body = data.subarray(at + 12, at + 12 + length);
    assert.equal(data.readUInt32LE(at + 12 + length), maskedCrc32c(body), `${path}: data CRC at ${at}`);
    at += 16 + length;
    const event = fields(body);
    const summary = event.get(5)?.[0] as Buffer | undefined;
    const values = summary ? (fields(summary).get(1) ?? []).map((v) => fields(v as Buffer)) : [];
    const tags = values.map((v) => (v.get(1)![0] as Buffer).toString());
    const scalars: Record<string, number> = {};
    values.forEach((v, i) => {
      const tensor = v.get(8)?.[0] as Buffer | undefined;
      const content = tensor ? (fields(tensor).get(4)?.[0] as Buffer | undefined) : undefined;
      if (content && content.length === 4) scalars[tags[i]] = content.readFloatLE(0);
    });
    records.push({ step: Number((event.get(2)?.[0] as bigint | undefined) ?? 0n), tags, scalars, fileVersion: (event.get(3)?.[0] as Buffer | undefined)?.toString() });
  }
  return records;
}

/** The one event file in `dir`, named as TensorFlow names them. */
export function eventFile(dir: string): string {
  const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
  assert.equal(files.length, 1, `one event file in ${dir}: ${files}`);
  assert.match(files[0], /^events\.out\.tfevents\.\d+\.[^.]+.*\.\d+\.\d+\.v2$/);
  return join(dir, files[0]);
}
