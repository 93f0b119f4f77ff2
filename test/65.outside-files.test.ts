/**
 * Everything cnn reads from outside (TensorFlow.js models, IDX files, weights files, configs) is
 * read only inside its bounds: the files a model names, regular files only, no more bytes than a
 * header declares, and a clear message for each way such a file can be wrong.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { encodeIdx, readIdxFile } from '../src/data/idx.js';
import { fetchDatasetFiles } from '../src/data/sources.js';
import { loadDataset } from '../src/data/index.js';
import { importTfjsModel } from '../src/export/tfjs-import.js';
import { loadConfigFile } from '../src/model/validate.js';
import { decodeWeightsFile, encodeWeightsFile, readWeightsFile } from '../src/model/weights-file.js';
import { packageRoot } from '../src/version.js';
import { runCli } from './helpers/cli.js';
import { editWeightsHeader, joinWeights, splitWeights } from './helpers/weights-bytes.js';
import { smallWeightsContents, tfjsModelJson, writeTfjsModel, writeTinyDataset } from './helpers/tiny-models.js';
import { tinyDefinition } from './fixtures/data/loopback-server.js';

const root = mkdtempSync(join(tmpdir(), 'cnn-outside-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => {
  const d = join(root, `${++n}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
};

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

async function importMessage(folder: string): Promise<string> {
  try {
    await importTfjsModel(folder);
  } catch (e) {
    assert.equal((e as Error).name, 'CnnError', `not a CnnError: ${(e as Error).stack}`);
    return (e as Error).message;
  }
  assert.fail(`importing ${folder} succeeded`);
}

// ---- 1. cnn import reads only files inside the model's folder -----------------------------------

test('import refuses manifest paths outside the model folder, saying nothing about the outside file', async () => {
  const base = fresh('escape');
  mkdirSync(join(base, 'secret'));
  // 40 bytes: exactly what the weights need, so an unchecked import would succeed with the secret.
  writeFileSync(join(base, 'secret', 'secret.txt'), 'TOP-SECRET-TOP-SECRET-TOP-SECRET-1234567');
  writeFileSync(join(base, 'secret', 'short.txt'), 'SHORT-13bytes');
  const folder = join(base, 'models', 'm');
  for (const [path, label] of [
    ['../../secret/secret.txt', 'a relative path out'],
    ['../../secret/short.txt', 'a short file out'],
    [join(base, 'secret', 'secret.txt'), 'an absolute path'],
    ['/etc/passwd', '/etc/passwd'],
    ['sub/../../../secret/secret.txt', 'a path through a subfolder'],
  ]) {
    writeTfjsModel(folder, tfjsModelJson([path]), undefined);
    const message = await importMessage(folder);
    assert.match(message, /weightsManifest\[0\]\.paths\[0\] \(".*"\) is not a file in the model's folder .*; weight files must lie beside model\.json$/, label);
    assert.doesNotMatch(message, /SECRET|SHORT|13 bytes|\(13\)|40 bytes|root:/, `${label}: the message tells something about the outside file: ${message}`);
  }
  // A symbolic link inside the folder that leads out is followed (realpath) and refused too.
  symlinkSync(join(base, 'secret', 'secret.txt'), join(folder, 'link.bin'));
  writeTfjsModel(folder, tfjsModelJson(['link.bin']), undefined);
  assert.match(await importMessage(folder), /paths\[0\] \("link.bin"\) is not a file in the model's folder/);
  // A missing file in the folder: no such file (and nothing more).
  writeTfjsModel(folder, tfjsModelJson(['nothing.bin']), undefined);
  assert.match(await importMessage(folder), /paths\[0\] \("nothing.bin"\): no such file in the model's folder/);
});

test('cnn import of a manifest naming /dev/zero or a FIFO ends at once with a clear error', () => {
  const folder = fresh('devices');
  writeTfjsModel(folder, tfjsModelJson(['/dev/zero']), undefined);
  let r = runCli(['import', '--from', folder, '--out', join(folder, 'out.bin')], { timeout: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^cnn: error: .*paths\[0\] \("\/dev\/zero"\) is not a file in the model's folder/);
  writeTfjsModel(folder, tfjsModelJson([`${'../'.repeat(8)}dev/zero`]), undefined);
  r = runCli(['import', '--from', folder, '--out', join(folder, 'out.bin')], { timeout: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^cnn: error: .*paths\[0\] \("(\.\.\/)+dev\/zero"\) is not a file in the model's folder/);
  mkfifo(join(folder, 'pipe.bin'));
  writeTfjsModel(folder, tfjsModelJson(['pipe.bin']), undefined);
  r = runCli(['import', '--from', folder, '--out', join(folder, 'out.bin')], { timeout: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^cnn: error: .*paths\[0\] \(.*pipe\.bin\) is a FIFO \(named pipe\), not a regular file\n$/);
});

test('import needs weight files of exactly the size the manifest declares', async () => {
  const folder = fresh('sizes');
  writeTfjsModel(folder, tfjsModelJson(['weights.bin']), Buffer.alloc(44));
  assert.match(await importMessage(folder), /the files of weightsManifest\[0\]\.paths hold 44 bytes but its weights need exactly 40 \(float32\)$/);
  writeTfjsModel(folder, tfjsModelJson(['weights.bin']), Buffer.alloc(12));
  assert.match(await importMessage(folder), /hold 12 bytes but its weights need exactly 40/);
  // The right size imports.
  writeTfjsModel(folder);
  const contents = await importTfjsModel(folder);
  assert.deepEqual(contents.tensors.map((t) => t.name), ['d/kernel', 'd/bias']);
  assert.equal(contents.tensors[0].data[1], -0.25);
});

// ---- 5. import messages for wrong manifest fields and unsupported models --------------------

test('import names wrong manifest fields (a numeric path, negative or string shapes) instead of an internal error', async () => {
  const folder = fresh('fields');
  const cases: [unknown, RegExp][] = [
    [tfjsModelJson([5]), /weightsManifest\[0\]\.paths\[0\] must be a file name \(a string\), found 5$/],
    [tfjsModelJson([null]), /paths\[0\] must be a file name \(a string\), found null$/],
    [tfjsModelJson(['weights.bin'], [[4, -2], [2]]), /weightsManifest\[0\]\.weights\[0\]\.shape \(weight d\/kernel\) must be a list of whole numbers >= 0, found \[4,-2\]$/],
    [tfjsModelJson(['weights.bin'], [['4', 2], [2]]), /weights\[0\]\.shape \(weight d\/kernel\) must be a list of whole numbers >= 0, found \["4",2\]$/],
    [tfjsModelJson(['weights.bin'], [[4, 2], 'x']), /weights\[1\]\.shape \(weight d\/bias\) must be a list of whole numbers >= 0, found "x"$/],
    [{ ...tfjsModelJson(), weightsManifest: [{ paths: 'weights.bin', weights: [] }] }, /weightsManifest\[0\]\.paths must be a list of file names, found "weights.bin"$/],
    [{ ...tfjsModelJson(), weightsManifest: [7] }, /weightsManifest\[0\] must be an object with paths and weights, found 7$/],
    [{ ...tfjsModelJson(), weightsManifest: [{ paths: [], weights: [{ name: 3, shape: [], dtype: 'float32' }] }] }, /weights\[0\]\.name must be a string, found 3$/],
  ];
  for (const [json, expected] of cases) {
    writeTfjsModel(folder, json);
    assert.match(await importMessage(folder), expected);
  }
  const bad = tfjsModelJson();
  (bad.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[0].config.batch_input_shape = [null, -2, '2', 1];
  writeTfjsModel(folder, bad);
  assert.match(await importMessage(folder), /batch_input_shape \[null, -2, "2", 1\] must give fixed sizes, whole numbers >= 1/);
});

test('import says what a graph, functional or oddly nested model is, and what it supports', async () => {
  const folder = fresh('kinds');
  const supported = /cnn imports TensorFlow\.js layers models of class Sequential/;
  writeTfjsModel(folder, { format: 'graph-model', modelTopology: { node: [], library: {}, versions: {} }, weightsManifest: [] });
  let m = await importMessage(folder);
  assert.match(m, /is a TensorFlow\.js graph model/);
  assert.match(m, supported);
  writeTfjsModel(folder, { modelTopology: { class_name: 'Functional', config: { layers: [] } }, weightsManifest: [] });
  m = await importMessage(folder);
  assert.match(m, /is a Functional \(functional API\) model/);
  // Nested wrappings: no "a undefined model".
  let nested: Record<string, unknown> = { class_name: 'Sequential', config: { layers: [] } };
  for (let i = 0; i < 1000; i++) nested = { model_config: nested };
  writeTfjsModel(folder, { modelTopology: nested, weightsManifest: [] });
  m = await importMessage(folder);
  assert.doesNotMatch(m, /undefined/);
  assert.match(m, /modelTopology has no class_name \(found nothing|modelTopology has no class_name/);
  assert.match(m, supported);
  writeTfjsModel(folder, `${'['.repeat(5000)}${']'.repeat(5000)}`);
  assert.match(await importMessage(folder), /model\.json: is a list, not a TensorFlow\.js model\.json/);
  writeTfjsModel(folder, { modelTopology: { class_name: 7 }, weightsManifest: [] });
  assert.match(await importMessage(folder), /modelTopology has no class_name \(found the number 7\)/);
});

// ---- 2. bounded reads: gzip bombs, devices, FIFOs -----------------------------------------

/** A gzip IDX "bomb": a header claiming `dims`, then `zeros` zero bytes, compressed on the fly. */
async function writeGzipBomb(path: string, dims: number[], zeros: number): Promise<void> {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const chunk = Buffer.alloc(1 << 20);
  async function* body() {
    yield header;
    for (let left = zeros; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
  }
  await pipeline(Readable.from(body()), createGzip({ level: 9 }), createWriteStream(path));
}

test('a gzip bomb IDX file stops inflating at the size its header declares (peak memory stays small)', async () => {
  const dir = fresh('bomb');
  const bomb = join(dir, 'train-images-idx3-ubyte.gz');
  // 400 MB of zeros in about 400 kB, behind a header claiming 1000 images (784 kB).
  await writeGzipBomb(bomb, [1000, 28, 28], 400 * 1024 * 1024);
  const compressed = readFileSync(bomb).length;
  assert.ok(compressed < 1024 * 1024, `the bomb is ${compressed} bytes`);
  // In a child with a small heap, so the peak resident size is this read's alone.
  const script = `
    const { readIdxFile } = await import(${JSON.stringify(pathToFileURL(join(packageRoot, 'dist', 'src', 'data', 'idx.js')).href)});
    let message = 'no error';
    try { await readIdxFile(${JSON.stringify(bomb)}); } catch (e) { message = e.name + ': ' + e.message; }
    console.log(JSON.stringify({ message, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const r = spawnSync(process.execPath, ['--max-old-space-size=64', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const { message, maxRssMb } = JSON.parse(r.stdout) as { message: string; maxRssMb: number };
  assert.ok(maxRssMb < 200, `peak resident memory ${maxRssMb.toFixed(0)} MB while reading a ${compressed}-byte bomb`);
  assert.match(message, /^CnnError: .*train-images-idx3-ubyte\.gz is not a valid IDX file: it is longer than its header says: dimensions 1000x28x28 need 784016 bytes, its gzip stream inflates to more$/);
});

test('a gzip IDX stream shorter than its header, or one claiming more than cnn loads, is refused naming the file', async () => {
  const dir = fresh('short-gz');
  const full = encodeIdx([4, 2, 2], new Uint8Array(16).fill(7));
  const short = join(dir, 'short.gz');
  writeFileSync(short, gzipSync(full.subarray(0, full.length - 5)));
  await assert.rejects(readIdxFile(short), /short\.gz is not a valid IDX file: it is truncated: dimensions 4x2x2 need 32 bytes, its gzip stream holds 27$/);
  const huge = join(dir, 'huge.gz');
  await writeGzipBomb(huge, [65535, 65535, 65535], 1000);
  await assert.rejects(readIdxFile(huge), /huge\.gz is not a valid IDX file: dimensions 65535x65535x65535 need \d+ bytes, more than cnn loads/);
  // More compressed bytes than the declared size could ever compress to: refused before reading on.
  const big = join(dir, 'big.gz');
  await writeGzipBomb(big, [10, 2, 2], 200 * 1024 * 1024);
  await assert.rejects(readIdxFile(big), /big\.gz is not a valid IDX file: it is \d+ bytes of gzip data, more than dimensions 10x2x2 \(56 bytes\) can compress to$/);
  const garbage = join(dir, 'garbage.gz');
  writeFileSync(garbage, Buffer.concat([gzipSync(full), Buffer.from('trailing garbage')]));
  await assert.rejects(readIdxFile(garbage), /garbage\.gz is not a valid IDX file: it looks gzip-compressed but does not decompress/);
});

test('IDX files, weights files and configs that are devices or FIFOs are refused at once, not read', () => {
  const dir = fresh('fifo');
  const fifo = join(dir, 'pipe');
  mkfifo(fifo);
  const distUrl = (p: string) => JSON.stringify(pathToFileURL(join(packageRoot, 'dist', 'src', p)).href);
  for (const target of ['/dev/zero', fifo]) {
    const script = `
      const { readIdxFile } = await import(${distUrl('data/idx.js')});
      const { readWeightsFile } = await import(${distUrl('model/weights-file.js')});
      const { loadConfigFile } = await import(${distUrl('model/validate.js')});
      const out = [];
      for (const f of [() => readIdxFile(${JSON.stringify(target)}), () => readWeightsFile(${JSON.stringify(target)}), async () => loadConfigFile(${JSON.stringify(target)})]) {
        try { await f(); out.push('read'); } catch (e) { out.push(e.name + ': ' + e.message); }
      }
      console.log(JSON.stringify(out));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `${target}: ${r.error?.message ?? r.stderr}`);
    const kind = target === fifo ? 'a FIFO \\(named pipe\\)' : 'a character device';
    const [idx, weights, config] = JSON.parse(r.stdout) as string[];
    assert.match(idx, new RegExp(`^CnnError: cannot read IDX file ${target}: is ${kind}, not a regular file$`));
    assert.match(weights, new RegExp(`^CnnError: ${target}: is ${kind}, not a regular file$`));
    assert.match(config, new RegExp(`^CnnError: cannot read the model config ${target}: is ${kind}, not a regular file$`));
  }
  const r = runCli(['eval', '--weights', '/dev/zero'], { timeout: 20_000 });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'cnn: error: /dev/zero: is a character device, not a regular file\n');
});

test('a raw IDX file longer than its header says is refused before its values are read', async () => {
  const dir = fresh('raw-long');
  const path = join(dir, 'labels');
  writeFileSync(path, Buffer.concat([encodeIdx([3], [0, 1, 2]), Buffer.alloc(1000)]));
  await assert.rejects(readIdxFile(path), /labels is not a valid IDX file: it is longer than its header says: dimensions 3 need 11 bytes, the file has 1011$/);
});

// ---- 3. image dimensions against input_shape and between splits ------------------------------

test('training refuses images whose rows and columns differ from input_shape, even with the same pixel count', () => {
  const dir = fresh('dims');
  const config = writeTinyDataset(dir, { trainDims: [24, 2, 8], testDims: [6, 2, 8] });
  const r = runCli(['train', '--config', config, '--out', join(dir, 'out.bin'), '--json'], { cwd: dir });
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.equal(
    r.stderr,
    `cnn: error: ${join(dir, 'train-images')} (the custom train images) has dimensions 24x2x8, images of 2x8x1, but input_shape in the model config is [4, 4, 1] (4x4x1 images)\n`,
  );
});

test('a test split shaped differently from the training split is refused, naming both files', async () => {
  const dir = fresh('splits');
  writeTinyDataset(dir, { trainDims: [24, 4, 4], testDims: [6, 2, 8] });
  await assert.rejects(
    loadDataset({ classes: 3, train: { images: 'train-images', labels: 'train-labels' }, test: { images: 'test-images', labels: 'test-labels' }, baseDir: dir }),
    (e: Error) => {
      assert.equal(e.name, 'CnnError');
      assert.equal(e.message, `the test images ${join(dir, 'test-images')} are 2x8x1 but the training images ${join(dir, 'train-images')} are 4x4x1; both splits must have the same image size`);
      return true;
    },
  );
});

// ---- 4. non-finite weights ----------------------------------------------------------------

test('a weights file holding NaN or Infinity is refused on load, naming the tensor and the first bad index', async () => {
  const good = encodeWeightsFile(smallWeightsContents());
  const { header, data } = splitWeights(good);
  for (const [value, name] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
    const bad = Buffer.from(data);
    bad.writeFloatLE(value, 4 * 5); // dense/kernel, index 5
    bad.writeFloatLE(value, 4 * 7);
    assert.throws(() => decodeWeightsFile(joinWeights(header, bad), 'w.bin'), (e: Error) => {
      assert.equal(e.name, 'CnnError');
      assert.equal(e.message, `w.bin: tensor dense/kernel (layer dense) holds ${name} at index 5 of its 8 values; the weights are not usable`);
      return true;
    });
  }
  const bias = Buffer.from(data);
  bias.writeFloatLE(NaN, 4 * 9); // dense/bias, index 1
  const path = join(fresh('nan'), 'nan.bin');
  writeFileSync(path, joinWeights(header, bias));
  await assert.rejects(readWeightsFile(path), /nan\.bin: tensor dense\/bias \(layer dense\) holds NaN at index 1 of its 2 values/);
});

test('cnn eval refuses a trained model whose weights were turned into NaN (exit 1, not an accuracy)', () => {
  const dir = fresh('eval-nan');
  const config = writeTinyDataset(dir);
  const weights = join(dir, 'tiny.bin');
  const train = runCli(['train', '--config', config, '--out', weights, '--json'], { cwd: dir });
  assert.equal(train.status, 0, train.stderr);
  const { header, data } = splitWeights(readFileSync(weights));
  data.writeFloatLE(NaN, 4 * 3); // conv/kernel, index 3
  writeFileSync(weights, joinWeights(header, data));
  const r = runCli(['eval', '--weights', weights, '--json'], { cwd: dir });
  assert.equal(r.status, 1, r.stdout);
  assert.equal(r.stderr, `cnn: error: ${weights}: tensor conv/kernel (layer conv) holds NaN at index 3 of its 18 values; the weights are not usable\n`);
});

// ---- 5. checkpoint fields and the optimizer-state mismatch ---------------------------------

test('resuming a checkpoint with a bad training.limit, step or history names the field; a slot mismatch says what differs', () => {
  const dir = fresh('resume');
  const config = writeTinyDataset(dir);
  const ckpt = join(dir, 'ckpt.bin');
  const train = runCli(['train', '--config', config, '--out', ckpt, '--json'], { cwd: dir });
  assert.equal(train.status, 0, train.stderr);
  const original = readFileSync(ckpt);
  const resume = (edit: (h: Record<string, unknown>) => void) => {
    const path = join(dir, 'edited.bin');
    writeFileSync(path, editWeightsHeader(original, edit));
    return { path, ...runCli(['train', '--resume', path, '--epochs', '2', '--json'], { cwd: dir }) };
  };
  const training = (h: Record<string, unknown>) => h.training as Record<string, unknown>;
  let r = resume((h) => (training(h).limit = -7));
  assert.equal(r.stderr, `cnn: error: ${r.path}: bad header: training.limit must be null or a whole number >= 1, found -7\n`);
  r = resume((h) => (training(h).step = 1_000_000));
  assert.equal(
    r.stderr,
    `cnn: error: ${r.path}: bad header: training.step 1000000 is past the end of an epoch (an epoch here is 3 steps of batch size 8); was it saved with other data or another --limit?\n`,
  );
  r = resume((h) => (training(h).step = -3));
  assert.equal(r.stderr, `cnn: error: ${r.path}: bad header: training.step must be a whole number >= 0, found -3\n`);
  r = resume((h) => (training(h).history = 5));
  assert.equal(r.stderr, `cnn: error: ${r.path}: bad header: training.history must be a list of epoch records\n`);
  r = resume((h) => ((h.config as Record<string, unknown>).optimizer = { type: 'adam', amsgrad: true }));
  assert.equal(
    r.stderr,
    `cnn: error: ${r.path}: its adam state has 2 state slots per parameter but the config's adam options need 3 (adam keeps 2, or 3 with amsgrad): the optimizer's options differ from the ones it was saved with\n`,
  );
  assert.equal(r.status, 1);
});

// ---- 5. dataset paths that are directories, FIFOs or devices --------------------------------

test('a dataset file that is a directory, FIFO or device is named as such, not as missing', async () => {
  const dir = fresh('not-files');
  writeTinyDataset(dir);
  const source = (images: string) => ({ classes: 3, train: { images, labels: 'train-labels' }, test: { images: 'test-images', labels: 'test-labels' }, baseDir: dir });
  mkdirSync(join(dir, 'a-folder'));
  await assert.rejects(loadDataset(source('a-folder')), new RegExp(`^CnnError: dataset file ${join(dir, 'a-folder')} is a directory, not a regular file$`));
  mkfifo(join(dir, 'a-fifo'));
  await assert.rejects(loadDataset(source('a-fifo')), /dataset file .*a-fifo is a FIFO \(named pipe\), not a regular file$/);
  await assert.rejects(loadDataset(source('/dev/null')), /dataset file \/dev\/null is a character device, not a regular file$/);

  // --data-dir: the attempt names what is there.
  const dataDir = fresh('data-dir');
  const def = tinyDefinition('tiny-dirs', []);
  mkdirSync(join(dataDir, def.files.trainImages.name));
  await assert.rejects(
    fetchDatasetFiles(def, { cacheDir: fresh('cache'), dataDir, mirrors: [] }),
    new RegExp(`--data-dir ${dataDir}: ${join(dataDir, def.files.trainImages.name)} is a directory, not a regular file`),
  );
  rmSync(join(dataDir, def.files.trainImages.name), { recursive: true });
  mkfifo(join(dataDir, `${def.files.trainImages.name}.gz`));
  await assert.rejects(
    fetchDatasetFiles(def, { cacheDir: fresh('cache'), dataDir, mirrors: [] }),
    new RegExp(`--data-dir ${dataDir}: ${join(dataDir, def.files.trainImages.name)}\\.gz is a FIFO \\(named pipe\\), not a regular file`),
  );
});

test('a config file that is a directory says so', () => {
  const dir = fresh('config-dir');
  assert.throws(() => loadConfigFile(dir), new RegExp(`^CnnError: cannot read the model config ${dir}: is a directory, not a regular file$`));
});
