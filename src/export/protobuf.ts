/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint, 64-bit-free length-
 * delimited fields, packed repeated varints and floats). Messages are built bottom-up as byte
 * arrays, so a nested message is simply a length-delimited field holding another writer's bytes.
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;

export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  /** Varints of non-negative integers up to 2^53 (ONNX never needs negative int64 here except
   * attribute ints, which go through int64()). */
  private rawVarint(value: bigint): void {
    const out: number[] = [];
    let v = BigInt.asUintN(64, value); // negative int64s are written as 10-byte two's complement
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(BigInt((field << 3) | wire));
  }

  int64(field: number, value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf field ${field}: ${value} is not a safe integer`);
    this.tag(field, WIRE_VARINT);
    this.rawVarint(BigInt(value));
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LENGTH_DELIMITED);
    this.rawVarint(BigInt(data.length));
    this.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated int64 field. */
  packedInt64(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) {
      if (!Number.isSafeInteger(v)) throw new RangeError(`protobuf field ${field}: ${v} is not a safe integer`);
      inner.rawVarint(BigInt(v));
    }
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field (little-endian IEEE 754 single precision). */
  packedFloat(field: number, values: readonly number[]): this {
    const buf = new Uint8Array(values.length * 4);
    const view = new DataView(buf.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
    return this.bytes(field, buf);
  }

  /** A single float field (wire type 5, fixed 32-bit). */
  float(field: number, value: number): this {
    this.tag(field, 5);
    const buf = new Uint8Array(4);
    new DataView(buf.buffer).setFloat32(0, value, true);
    this.push(buf);
    return this;
  }

  /** A single double field (wire type 1, fixed 64-bit), e.g. an Event's wall_time. */
  double(field: number, value: number): this {
    this.tag(field, 1);
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setFloat64(0, value, true);
    this.push(buf);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}
