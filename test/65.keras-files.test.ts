/** The .keras container without Python: zip reading bounds, export/import round trip, damaged files. */
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { exportModel } from '../src/cli/commands/export.js';
import { importKerasModel } from '../src/export/keras-import.js';
import { encodeKerasWeights, decodeKerasWeights } from '../src/export/keras-h5.js';
import { listZip, readZipMember, writeZip } from '../src/export/keras-zip.js';
import { readWeightsFile } from '../src/model/weights-file.js';
import { crc32 } from '../src/util/crc32.js';
import { runCli } from './helpers/cli.js';
import { firstAsProcess, runCliHere } from './helpers/cli-here.js';
import { EVERYTHING_CONFIG, GLOBAL_POOL_CONFIG, makeWeightsFile } from './fixtures/viz/models.js';

const dir = mkdtempSync(join(tmpdir(), 'cnn-keras-files-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function members(path: string): Map<string, Buffer> {
  const zip = readFileSync(path);
  return new Map(listZip(zip).map((e) => [e.name, Buffer.from(readZipMember(zip, e, 1 << 30))]));
}

async function exported(raw: object, name: string): Promise<string> {
  const weights = join(dir, `${name}.bin`);
  await makeWeightsFile(raw, weights);
  const out = join(dir, `${name}.keras`);
  await exportModel({ weights, format: 'keras', out, force: true });
  return out;
}

test('a .keras export holds metadata.json, config.json and model.weights.h5, stored, in Keras order', async () => {
  const out = await exported(EVERYTHING_CONFIG, 'layout');
  const zip = readFileSync(out);
  const entries = listZip(zip);
  assert.deepEqual(entries.map((e) => e.name), ['metadata.json', 'config.json', 'model.weights.h5']);
  assert.ok(entries.every((e) => e.method === 0), 'stored, as Keras writes');
  const m = members(out);
  const meta = JSON.parse(m.get('metadata.json')!.toString());
  assert.equal(meta.keras_version, '3.15.1');
  assert.match(meta.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
  const config = JSON.parse(m.get('config.json')!.toString());
  assert.equal(config.class_name, 'Sequential');
  assert.equal(config.config.layers[0].class_name, 'InputLayer');
  assert.deepEqual(config.config.layers[0].config.batch_shape, [null, 28, 28, 1]);
  assert.deepEqual(config.compile_config.metrics, ['accuracy']);
  const vars = await decodeKerasWeights(m.get('model.weights.h5')!);
  // Groups are keyed by class (conv2d, conv2d_1, ...) and name their layer.
  assert.equal(vars.layers.get('conv2d')!.name, 'conv_same');
  assert.equal(vars.layers.get('conv2d_3')!.name, 'conv_leaky');
  assert.deepEqual(vars.layers.get('batch_normalization_1')!.vars.map((v) => v.shape), [[16], [16], [16]]);
});

test('export --format keras then import gives back the same config and weights', async () => {
  for (const [raw, name] of [[EVERYTHING_CONFIG, 'round'], [GLOBAL_POOL_CONFIG, 'round-gap']] as const) {
    const out = await exported(raw, name);
    const imported = await importKerasModel(out);
    const original = await readWeightsFile(join(dir, `${name}.bin`));
    assert.deepEqual(imported.config, original.config);
    assert.deepEqual(imported.tensors.map((t) => [t.name, t.shape]), original.tensors.map((t) => [t.name, t.shape]));
    imported.tensors.forEach((t, i) => assert.deepEqual(t.data, original.tensors[i].data, t.name));
  }
});

test('the zip reader never inflates past a member\'s declared size and checks its CRC', () => {
  const big = new Uint8Array(1 << 20).fill(7);
  const zip = writeZip([{ name: 'a', data: big }], true);
  const [entry] = listZip(zip);
  assert.equal(entry.method, 8);
  assert.ok(Buffer.from(readZipMember(zip, entry, 1 << 21)).equals(Buffer.from(big)));
  // A directory that lies about the size: the reader stops at the lie instead of inflating 1 MiB.
  assert.throws(() => readZipMember(zip, { ...entry, size: 100 }, 1 << 21), /does not inflate to its declared 100 bytes/);
  assert.throws(() => readZipMember(zip, entry, 1000), /declares 1048576 bytes, more than the 1000 cnn reads/);
  assert.throws(() => readZipMember(zip, { ...entry, crc: (crc32(big) ^ 1) >>> 0 }, 1 << 21), /fails its CRC-32 check/);
  assert.equal(deflateRawSync(big).length < 5000, true);
});

/**
 * The first damaged file through the executable; the rest run cnn's main() here (helpers/cli-here.ts),
 * which loads h5wasm once instead of once per file (0.4-0.6 CPU-s each).
 */
const runImport = firstAsProcess();
function importCli(file: string) {
  return runImport(['import', '--from', file, '--out', join(dir, 'imported.bin')]);
}

async function assertFails(file: string, message: RegExp): Promise<void> {
  const r = await importCli(file);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^cnn: error: /);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
}

function rezip(source: string, target: string, change: (m: Map<string, Buffer>) => void): string {
  const m = members(source);
  change(m);
  writeFileSync(target, writeZip([...m].map(([name, data]) => ({ name, data }))));
  return target;
}

test('damaged .keras files: one clear message and exit 1', async () => {
  const good = await exported(EVERYTHING_CONFIG, 'good');
  const bytes = readFileSync(good);
  const truncated = join(dir, 'truncated.keras');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  await assertFails(truncated, /truncated\.keras: is not a zip archive, or it is truncated/);
  const cut = join(dir, 'cut.keras');
  writeFileSync(cut, Buffer.concat([bytes.subarray(0, 2000), bytes.subarray(bytes.length - 200)]));
  await assertFails(cut, /cut\.keras: is (truncated|damaged)/);
  await assertFails(rezip(good, join(dir, 'no-weights.keras'), (m) => m.delete('model.weights.h5')), /no-weights\.keras: has no model\.weights\.h5/);
  await assertFails(rezip(good, join(dir, 'bad-json.keras'), (m) => m.set('config.json', Buffer.from('{"class_name": '))), /bad-json\.keras: config\.json is not valid JSON/);
  await assertFails(
    rezip(good, join(dir, 'unknown-layer.keras'), (m) => m.set('config.json', Buffer.from(m.get('config.json')!.toString().replace('"class_name":"AveragePooling2D"', '"class_name":"Conv3D"')))),
    /layer \d+ \(avg_valid, Conv3D\) is not supported; cnn imports Conv2D/,
  );
  await assertFails(
    rezip(good, join(dir, 'bad-activation.keras'), (m) => m.set('config.json', Buffer.from(m.get('config.json')!.toString().replace('"activation":"tanh"', '"activation":"hard_sigmoid"')))),
    /layer \d+ \(dense_tanh, Dense\): activation "hard_sigmoid" is not supported/,
  );
  await assertFails(
    rezip(good, join(dir, 'groups.keras'), (m) => m.set('config.json', Buffer.from(m.get('config.json')!.toString().replace('"groups":1', '"groups":2')))),
    /layer 1 \(conv_same, Conv2D\): groups=2 is not supported/,
  );
  const wrongShape = rezip(good, join(dir, 'wrong-shape.keras'), () => {});
  const m = members(wrongShape);
  const vars = await decodeKerasWeights(m.get('model.weights.h5')!);
  const layers = [...vars.layers].map(([key, v]) => ({ path: `layers/${key}`, name: v.name!, vars: v.vars }));
  const dense = layers.find((l) => l.name === 'dense_tanh')!;
  dense.vars[0] = { shape: [12, 16], data: dense.vars[0].data };
  m.set('model.weights.h5', Buffer.from(await encodeKerasWeights({ modelName: 'everything', layers })));
  writeFileSync(wrongShape, writeZip([...m].map(([name, data]) => ({ name, data }))));
  await assertFails(wrongShape, /wrong-shape\.keras: model\.weights\.h5: layer dense_tanh's kernel has shape \(12, 16\) but the layer needs \(16, 12\)/);
  await assertFails(rezip(good, join(dir, 'garbage-h5.keras'), (m2) => m2.set('model.weights.h5', Buffer.from('not hdf5 at all'))), /garbage-h5\.keras: model\.weights\.h5 is not a readable HDF5 file/);
  const notZip = join(dir, 'text.keras');
  writeFileSync(notZip, 'hello');
  await assertFails(notZip, /text\.keras: is not a zip archive/);
  await assertFails(join(dir, 'missing.keras'), /cannot read .*missing\.keras/);
});

test('export --format keras refuses a non-.keras --out and a foreign file without --force', async () => {
  const weights = join(dir, 'refuse.bin');
  await makeWeightsFile(GLOBAL_POOL_CONFIG, weights);
  // The refusal through the executable; the rest as main() here.
  let r = runCli(['export', '--weights', weights, '--format', 'keras', '--out', join(dir, 'x.zip')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--out must name a \.keras file for --format keras/);
  const foreign = join(dir, 'foreign.keras');
  writeFileSync(foreign, 'mine');
  r = await runCliHere(['export', '--weights', weights, '--format', 'keras', '--out', foreign]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /already exists and it is not a \.keras file written by cnn export; add --force/);
  r = await runCliHere(['export', '--weights', weights, '--format', 'keras', '--out', join(dir, 'again.keras')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*again\.keras \(Keras 3 \.keras format\)\n {2}input: {2}float32 \(None, 28, 28, 1\), NHWC, pixels \* 0\.00392156862745098/);
  r = await runCliHere(['export', '--weights', weights, '--format', 'keras', '--out', join(dir, 'again.keras')]);
  assert.equal(r.status, 0, `a previous cnn export is replaced: ${r.stderr}`);
});
