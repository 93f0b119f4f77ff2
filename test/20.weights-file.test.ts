import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import { isCnnError } from '../src/errors.js';
import { crc32 } from '../src/util/crc32.js';
import {
  decodeWeightsFile,
  encodeWeightsFile,
  FORMAT_VERSION,
  groupDigits,
  PRELUDE_BYTES,
  readWeightsFile,
  readWeightsHeader,
  writeWeightsFile,
  type WeightsContents,
} from '../src/model/weights-file.js';

const dir = await mkdtemp(join(tmpdir(), 'cnn-weights-'));
test.after(() => rm(dir, { recursive: true, force: true }));

/** Deterministic pseudo-random floats, so every tensor holds distinct values. */
function floats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

function sampleContents(): WeightsContents {
  // Extremes a trained model can hold (NaN and Infinity are refused on load: see 65.outside-files).
  const special = new Float32Array([-0, 1.4e-45, -1.4e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38, -1.5]);
  return {
    config: { name: 'sequential', layers: [{ type: 'Conv2D', filters: 2, kernel_size: [3, 3] }, { type: 'Dense', units: 3 }], note: 'ünïcödé ✓' },
    tensors: [
      { name: 'kernel', layer: 'conv2d', shape: [3, 3, 1, 2], data: floats(18, 1) },
      { name: 'bias', layer: 'conv2d', shape: [2], data: floats(2, 2) },
      { name: 'special', layer: 'dense', shape: [7], data: special },
      { name: 'scalar', layer: 'dense', shape: [], data: new Float32Array([42]) },
      { name: 'empty', layer: 'dense', shape: [0, 3], data: new Float32Array(0) },
      { name: 'moving_mean', layer: 'batch_normalization', shape: [3], data: floats(3, 3), trainable: false },
    ],
    optimizer: {
      type: 'adam',
      slots: 2,
      iterations: 1875,
      state: [
        { name: 'kernel/m', layer: 'conv2d', shape: [3, 3, 1, 2], data: floats(18, 4) },
        { name: 'kernel/v', layer: 'conv2d', shape: [3, 3, 1, 2], data: floats(18, 5) },
      ],
    },
    training: { epoch: 3, step: 0, seed: 7, history: { loss: [0.5, 0.25, 0.125] } },
  };
}

/** Bit-exact comparison (NaN and -0 included). */
function assertSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.deepEqual(
    Array.from(new Uint32Array(actual.buffer, actual.byteOffset, actual.length)),
    Array.from(new Uint32Array(expected.buffer, expected.byteOffset, expected.length)),
    what,
  );
}

function assertSameContents(actual: WeightsContents, expected: WeightsContents): void {
  assert.deepEqual(actual.config, expected.config);
  assert.deepEqual(actual.training, expected.training);
  const check = (a: WeightsContents['tensors'], e: WeightsContents['tensors']) => {
    assert.equal(a.length, e.length);
    a.forEach((t, i) => {
      assert.equal(t.name, e[i].name);
      assert.equal(t.layer, e[i].layer);
      assert.deepEqual(t.shape, e[i].shape);
      assert.equal(t.trainable, e[i].trainable ?? true);
      assertSameFloats(t.data, e[i].data, `${t.layer}/${t.name}`);
    });
  };
  check(actual.tensors, expected.tensors);
  assert.equal(actual.optimizer?.type, expected.optimizer?.type);
  assert.equal(actual.optimizer?.slots, expected.optimizer?.slots);
  assert.equal(actual.optimizer?.iterations, expected.optimizer?.iterations);
  check(actual.optimizer?.state ?? [], expected.optimizer?.state ?? []);
}

/** Expects a CnnError ERR_WEIGHTS_FILE whose message starts with the file's name. */
function assertWeightsError(fn: () => unknown, name: string, pattern?: RegExp): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isCnnError(error), `expected a CnnError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_WEIGHTS_FILE');
    assert.equal(error.exitCode, 1);
    assert.ok(error.message.startsWith(`${name}: `), error.message);
    if (pattern) assert.match(error.message, pattern);
    return error.message;
  }
  assert.fail(`expected ${name} to be refused`);
}

async function assertRejects(promise: Promise<unknown>, name: string, pattern?: RegExp): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return assertWeightsError(() => {
      throw error;
    }, name, pattern);
  }
  assert.fail(`expected ${name} to be refused`);
}

/** Rewrites both checksums so a deliberately edited file passes them (to reach later checks). */
function resealed(bytes: Uint8Array): Uint8Array {
  const copy = Buffer.from(bytes);
  const headerLength = copy.readUInt32LE(8);
  copy.writeUInt32LE(crc32(copy.subarray(PRELUDE_BYTES, PRELUDE_BYTES + headerLength)), 12);
  copy.writeUInt32LE(crc32(copy.subarray(0, copy.length - 4)), copy.length - 4);
  return copy;
}

test('crc32 matches the standard check value and zlib, also in pieces', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const data = new Uint8Array(floats(1001, 9).buffer).subarray(3);
  assert.equal(crc32(data), zlib.crc32(data));
  for (const cut of [0, 1, 2, 3, 5, 100, data.length]) {
    assert.equal(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), crc32(data), `cut at ${cut}`);
  }
});

test('round trip keeps config, every tensor bit for bit, optimizer state and training state', async () => {
  const path = join(dir, 'round-trip.bin');
  const contents = sampleContents();
  await writeWeightsFile(path, contents);
  assertSameContents(await readWeightsFile(path), contents);

  const header = await readWeightsHeader(path);
  assert.deepEqual(header.config, contents.config);
  assert.deepEqual(header.training, contents.training);
  assert.deepEqual(header.optimizer, { type: 'adam', slots: 2, iterations: 1875 });
  assert.deepEqual(
    header.tensors,
    contents.tensors.map((t) => ({ name: t.name, layer: t.layer, shape: t.shape, trainable: t.trainable ?? true })),
  );
  assert.deepEqual(await readdir(dir).then((names) => names.filter((n) => n.endsWith('.tmp'))), []);
});

test('files without optimizer or training state, and with any JSON config, round trip', async () => {
  for (const config of [null, 'mnist', 3.5, [1, 2], { nested: { deep: [true, false, null] } }]) {
    const contents: WeightsContents = { config, tensors: [{ name: 'w', layer: 'dense', shape: [2, 2], data: floats(4, 11) }] };
    const decoded = decodeWeightsFile(encodeWeightsFile(contents));
    assert.deepEqual(decoded.config, config);
    assert.equal(decoded.optimizer, undefined);
    assert.equal(decoded.training, undefined);
    assertSameFloats(decoded.tensors[0].data, contents.tensors[0].data, 'w');
  }
});

test('the byte layout is the documented one', () => {
  const contents = sampleContents();
  const bytes = Buffer.from(encodeWeightsFile(contents));
  assert.equal(bytes.subarray(0, 4).toString('latin1'), 'CNNW');
  assert.equal(bytes.readUInt32LE(4), FORMAT_VERSION);
  const headerLength = bytes.readUInt32LE(8);
  const headerBytes = bytes.subarray(PRELUDE_BYTES, PRELUDE_BYTES + headerLength);
  assert.equal(bytes.readUInt32LE(12), zlib.crc32(headerBytes));
  const header = JSON.parse(headerBytes.toString('utf8'));
  const dataStart = Math.ceil((PRELUDE_BYTES + headerLength) / 4) * 4;
  const valueCount = [...contents.tensors, ...contents.optimizer!.state].reduce((n, t) => n + t.data.length, 0);
  assert.equal(Number(bytes.readBigUInt64LE(16)), valueCount * 4);
  assert.equal(bytes.length, dataStart + valueCount * 4 + 4);
  assert.ok(bytes.subarray(PRELUDE_BYTES + headerLength, dataStart).every((b) => b === 0), 'zero padding');
  // Each tensor lies at its offset as little-endian float32.
  const all = [...header.tensors, ...header.optimizer.state];
  const sources = [...contents.tensors, ...contents.optimizer!.state];
  all.forEach((entry: { offset: number }, i: number) => {
    sources[i].data.forEach((v, k) => {
      assert.ok(Object.is(bytes.readFloatLE(dataStart + entry.offset + 4 * k), v), `tensor ${i} value ${k}`);
    });
  });
  assert.equal(bytes.readUInt32LE(bytes.length - 4), zlib.crc32(bytes.subarray(0, bytes.length - 4)));
});

test('a truncated file is refused at every length, naming the expected and found sizes', async () => {
  const full = encodeWeightsFile(sampleContents());
  const path = join(dir, 'cut.bin');
  const lengths = new Set<number>();
  for (let n = 0; n < 300; n++) lengths.add(n); // the prelude, the header and the start of the data
  for (let n = 300; n < full.length; n += 37) lengths.add(n);
  for (let n = full.length - 8; n < full.length; n++) lengths.add(n);
  for (const n of lengths) {
    const cut = full.subarray(0, n);
    const message = assertWeightsError(() => decodeWeightsFile(cut, 'cut.bin'), 'cut.bin');
    if (n === 0) assert.match(message, /empty file/);
    else if (n < 4) assert.match(message, /not a cnn weights file/);
    else if (n < PRELUDE_BYTES) assert.match(message, new RegExp(`truncated: expected at least ${PRELUDE_BYTES} bytes, found ${n}$`));
    else assert.equal(message, `cut.bin: truncated: expected ${groupDigits(full.length)} bytes, found ${groupDigits(n)}`);
  }
  // Through the file API too, including the header-only reader, at a spread of lengths.
  for (const n of [0, 3, 10, 23, 24, 40, 200, full.length - 100, full.length - 1]) {
    await writeFile(path, full.subarray(0, n));
    await assertRejects(readWeightsFile(path), path);
    await assertRejects(readWeightsHeader(path), path);
  }
});

test('every single-bit flip anywhere in the file is detected, never loaded', () => {
  const good = encodeWeightsFile(sampleContents());
  for (let i = 0; i < good.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Uint8Array.from(good);
      bad[i] ^= 1 << bit;
      assertWeightsError(() => decodeWeightsFile(bad, 'w.bin'), 'w.bin');
    }
  }
});

test('flipped bytes are detected through the file API; the header reader catches them in its part', async () => {
  const good = encodeWeightsFile(sampleContents());
  const headerEnd = PRELUDE_BYTES + Buffer.from(good).readUInt32LE(8);
  const path = join(dir, 'flipped.bin');
  const positions = [0, 3, 4, 7, 8, 11, 12, 15, 16, 23, 24, 25, headerEnd - 1, headerEnd + 4, Math.floor(good.length / 2), good.length - 5, good.length - 1];
  for (let i = 30; i < headerEnd; i += 29) positions.push(i);
  for (const i of positions) {
    const bad = Uint8Array.from(good);
    bad[i] ^= 0xff;
    await writeFile(path, bad);
    await assertRejects(readWeightsFile(path), path);
    if (i < headerEnd) await assertRejects(readWeightsHeader(path), path);
  }
  const dataFlip = Uint8Array.from(good);
  dataFlip[good.length - 10] ^= 0x40;
  await writeFile(path, dataFlip);
  await assertRejects(readWeightsFile(path), path, /checksum mismatch: the file is damaged$/);
});

test('foreign files are refused with a hint about what they are', async () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['model.keras', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0, ...new Array(40).fill(0)]), /not a cnn weights file \(magic 0x504b0304: this looks like a zip file/],
    ['notes.txt', Buffer.from('hello, these are not weights\nat all\n'), /not a cnn weights file \(magic 0x68656c6c: this looks like a text file\)$/],
    ['model.json', Buffer.from('  {"modelTopology": {}}'), /this looks like a JSON file/],
    ['w.h5', Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]), /magic 0x89484446: this looks like an HDF5 file/],
    ['random.bin', Buffer.from([0x01, 0x02, 0x03, 0x04, 0xfe, 0xff]), /not a cnn weights file \(magic 0x01020304\)$/],
    ['empty.bin', Buffer.alloc(0), /empty file \(0 bytes\): not a cnn weights file$/],
    ['tiny.bin', Buffer.from('CN'), /not a cnn weights file \(only 2 bytes\)$/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const path = join(dir, name);
    await writeFile(path, bytes);
    await assertRejects(readWeightsFile(path), path, pattern);
    await assertRejects(readWeightsHeader(path), path, pattern);
  }
});

test('a file from a newer format version names both versions; version 0 is damage', async () => {
  const bytes = Buffer.from(encodeWeightsFile(sampleContents()));
  bytes.writeUInt32LE(3, 4);
  const path = join(dir, 'future.bin');
  await writeFile(path, resealed(bytes));
  const expected = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: written by a newer cnn \\(format 3; this cnn reads up to ${FORMAT_VERSION}\\)$`);
  await assertRejects(readWeightsFile(path), path, expected);
  await assertRejects(readWeightsHeader(path), path, expected);
  bytes.writeUInt32LE(0, 4);
  assertWeightsError(() => decodeWeightsFile(resealed(bytes), 'w.bin'), 'w.bin', /unknown format version 0/);
});

test('missing files, directories and extra bytes give plain messages', async () => {
  const missing = join(dir, 'nope.bin');
  await assertRejects(readWeightsFile(missing), missing, /: no such file$/);
  await assertRejects(readWeightsHeader(missing), missing, /: no such file$/);
  await assertRejects(readWeightsFile(dir), dir, /: is a directory, not a regular file$/);
  await assertRejects(readWeightsHeader(dir), dir, /: is a directory, not a regular file$/);
  const good = encodeWeightsFile(sampleContents());
  const longer = Buffer.concat([good, Buffer.from([0, 0, 0, 0])]);
  assertWeightsError(() => decodeWeightsFile(longer, 'w.bin'), 'w.bin', /expected [\d,]+ bytes, found [\d,]+ \(extra data at the end\): the file is damaged$/);
});

test('a header that passes its checksum but describes impossible tensors is refused', () => {
  const good = Buffer.from(encodeWeightsFile(sampleContents()));
  const headerLength = good.readUInt32LE(8);
  const json = good.subarray(PRELUDE_BYTES, PRELUDE_BYTES + headerLength).toString('utf8');
  const edits: [string, RegExp][] = [
    [json.replace('"shape":[3,3,1,2]', '"shape":[3,3,9,2]'), /bad header: tensors\[0\] \(kernel\) lies outside the data block/],
    [json.replace('"shape":[3,3,1,2]', '"shape":[3,-3,1]'), /bad header: tensors\[0\]\.shape\[1\] must be a whole number >= 0, found -3/],
    [json.replace('"offset":72', '"offset":73'), /bad header: tensors\[1\]\.offset 73 is not a multiple of 4/],
    [json.replace('"tensors"', '"tensorz"'), /bad header: "tensors" must be a list/],
    [json.replace('"iterations":1875', '"iterations":1.25'), /bad header: optimizer\.iterations must be a whole number/],
  ];
  for (const [edited, pattern] of edits) {
    assert.notEqual(edited, json, `edit for ${pattern} applies`);
    const header = Buffer.from(edited.padEnd(json.length, ' '), 'utf8');
    assert.equal(header.length, headerLength, 'same header length, so the layout holds');
    const bytes = Buffer.from(good);
    header.copy(bytes, PRELUDE_BYTES);
    assertWeightsError(() => decodeWeightsFile(resealed(bytes), 'w.bin'), 'w.bin', pattern);
  }
});

test('bad contents are refused before anything is written', async () => {
  const path = join(dir, 'bad-contents.bin');
  const contents = sampleContents();
  contents.tensors[0] = { name: 'kernel', layer: 'conv2d', shape: [3, 3, 1, 3], data: floats(18, 1) };
  await assertRejects(writeWeightsFile(path, contents), path, /cannot write: tensor conv2d\/kernel has 18 values but shape \[3, 3, 1, 3\] needs 27$/);
  await assertRejects(readWeightsFile(path), path, /no such file/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assertRejects(writeWeightsFile(path, { config: cyclic, tensors: [] }), path, /cannot write: the config or training state is not JSON/);
});

test('a failed write leaves the previous file intact and no temporary file behind', async () => {
  const sub = join(dir, 'atomic');
  await mkdir(sub);
  const path = join(sub, 'w.bin');
  const original = sampleContents();
  await writeWeightsFile(path, original);
  const before = await readFile(path);

  // Refused contents: the old file stays.
  const bad = sampleContents();
  bad.tensors[1].shape = [5];
  await assertRejects(writeWeightsFile(path, bad), path);
  assert.deepEqual(await readFile(path), before);

  // A target that cannot be replaced (a non-empty directory): the rename fails, the temp file goes.
  const blocked = join(sub, 'blocked.bin');
  await mkdir(blocked);
  await writeFile(join(blocked, 'keep.txt'), 'keep');
  await assertRejects(writeWeightsFile(blocked, original), blocked, /cannot write: /);
  assert.equal(await readFile(join(blocked, 'keep.txt'), 'utf8'), 'keep');

  // A directory that does not exist.
  const nowhere = join(sub, 'missing-dir', 'w.bin');
  await assertRejects(writeWeightsFile(nowhere, original), nowhere, /cannot write: the directory .*missing-dir does not exist$/);

  // A successful overwrite replaces the file completely.
  const changed = sampleContents();
  changed.training = { epoch: 4 };
  await writeWeightsFile(path, changed);
  assert.deepEqual((await readWeightsFile(path)).training, { epoch: 4 });

  assert.deepEqual((await readdir(sub)).sort(), ['blocked.bin', 'w.bin']);
});

test('a write that runs out of space mid-file (ulimit -f) leaves the previous file intact', async () => {
  const sub = join(dir, 'fsize');
  await mkdir(sub);
  const path = join(sub, 'w.bin');
  const small: WeightsContents = { config: { small: true }, tensors: [{ name: 'w', layer: 'dense', shape: [4], data: floats(4, 1) }] };
  await writeWeightsFile(path, small);
  const before = await readFile(path);
  const moduleUrl = pathToFileURL(join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'model', 'weights-file.js')).href;
  const script = [
    `import { writeWeightsFile } from ${JSON.stringify(moduleUrl)};`,
    // With SIGXFSZ handled, write() fails with EFBIG instead of killing the process.
    `process.on('SIGXFSZ', () => {});`,
    `const big = new Float32Array(1 << 20).fill(1.5);`,
    `try { await writeWeightsFile(${JSON.stringify(path)}, { config: {}, tensors: [{ name: 'w', layer: 'dense', shape: [big.length], data: big }] }); console.log('written'); }`,
    `catch (e) { console.log(e.code + ' ' + e.message); }`,
  ].join('\n');
  // ulimit -f counts 1024-byte blocks: 64 KiB is far below the 4 MiB file.
  const r = spawnSync('bash', ['-c', `ulimit -f 64 && exec "${process.execPath}" --input-type=module -e "$0"`, script], { encoding: 'utf8' });
  assert.match(r.stdout, /^ERR_WEIGHTS_FILE .*w\.bin: cannot write: /, `child said: ${r.stdout} ${r.stderr}`);
  assert.deepEqual(await readFile(path), before);
  assert.deepEqual(await readdir(sub), ['w.bin']);
});
