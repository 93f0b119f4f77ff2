/**
 * `cnn visualize` of a colour model: the first convolution's 3-channel filters drawn as RGB tiles
 * (as the Keras tutorials show them), the colour test image as it is, and the feature maps the
 * colour input makes; and a channels_first model refused for channels-last colour images.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSheet, renderSheet } from '../src/viz/sheet.js';
import { decodePng } from '../src/viz/canvas.js';
import { packageRoot } from '../src/version.js';
import { makeWeightsFile } from './fixtures/viz/models.js';
import { buildCifarArchive, cifarFixtureDefinition, cifarPixel, runCliWithDataset } from './helpers/cifar-fixture.js';

const scratch = mkdtempSync(join(tmpdir(), 'cnn-colour-viz-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const CIFAR_CONFIG = JSON.parse(readFileSync(join(packageRoot, 'data', 'cifar10.json'), 'utf8')) as Record<string, unknown>;

function rgbImage(b: number, r: number): Uint8Array {
  const out = new Uint8Array(3072);
  for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) out[p * 3 + ch] = cifarPixel(b, r, p, ch);
  return out;
}

test('the first convolution of a colour model shows RGB filters; the image is drawn in its colours; maps come from the colour input', async () => {
  const { config, net } = await makeWeightsFile(CIFAR_CONFIG, join(scratch, 'viz.bin'));
  const pixels = rgbImage(5, 1);
  const spec = buildSheet(config, net, pixels);
  const [filters, maps] = spec.sections;
  assert.equal(filters.title, 'conv2d (Conv2D) filters: 32 x 3x3x3, as colour');
  assert.equal(filters.tiles.length, 32);
  const params = net.params();
  const k = params.findIndex((p) => p.layer === 'conv2d' && p.name === 'kernel');
  const kernel = net.getParam(k);
  for (const o of [0, 17, 31]) {
    const tile = filters.tiles[o];
    assert.equal(tile.rgb, true);
    for (let i = 0; i < 27; i++) assert.equal(tile.values[i], kernel[i * 32 + o], `filter ${o} value ${i} (y, x, channel order)`);
  }
  // Deeper convolutions have 32 or 64 input channels: the mean over them, in grey.
  const deeper = spec.sections.find((s) => s.title.startsWith('conv2d_1 (Conv2D) filters'));
  assert.equal(deeper?.title, 'conv2d_1 (Conv2D) filters: 64 x 3x3x32, mean over 32 input channels');
  assert.ok(deeper?.tiles.every((t) => !t.rgb));
  assert.equal(maps.title.startsWith('conv2d (Conv2D) feature maps'), true, maps.title);
  assert.deepEqual([maps.tiles.length, maps.tiles[0].height, maps.tiles[0].width], [32, 30, 30]);
  const out = net.forwardAll(Float32Array.from(pixels, (p) => p / 255))[0];
  for (let i = 0; i < 900; i += 97) assert.equal(maps.tiles[5].values[i], out[i * 32 + 5]);

  assert.equal(spec.image.rgb, true);
  const canvas = renderSheet(spec);
  // The image sits at the top left (12 px in) at 4 screen pixels per image pixel.
  for (const [y, x] of [[0, 0], [10, 20], [31, 31]]) {
    const p = y * 32 + x;
    assert.deepEqual(canvas.getPixel(12 + x * 4 + 1, 12 + y * 4 + 1), [0, 1, 2].map((ch) => cifarPixel(5, 1, p, ch)), `image pixel (${y}, ${x})`);
  }
});

test('cnn visualize of a colour model on cifar10 writes the sheet with the colour filters', async () => {
  const archive = buildCifarArchive({ records: 2 });
  const def = cifarFixtureDefinition(archive, ['http://127.0.0.1:9/']);
  const dataDir = join(scratch, 'download');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'cifar-10-binary.tar.gz'), archive.bytes);
  const weights = join(scratch, 'cli.bin');
  await makeWeightsFile(CIFAR_CONFIG, weights);
  const png = join(scratch, 'sheet.png');
  const env = { CNN_HOME: join(scratch, 'home') };
  const r = runCliWithDataset(['visualize', '--weights', weights, '--index', '1', '--out', png, '--data-dir', dataDir, '--json'], def, env);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { sections: string[]; width: number; height: number };
  assert.equal(result.sections[0], 'conv2d (Conv2D) filters: 32 x 3x3x3, as colour');
  const image = decodePng(readFileSync(png));
  assert.deepEqual([image.width, image.height], [result.width, result.height]);
  // Test image 1 of the fixture (test_batch.bin is batch 5), pixel (0, 0), in colour.
  const i = ((12 + 1) * image.width + 12 + 1) * 4;
  assert.deepEqual([image.data[i], image.data[i + 1], image.data[i + 2]], [0, 1, 2].map((ch) => cifarPixel(5, 1, 0, ch)));

  // A channels_first model would read channels-last colour images wrongly: refused, saying why.
  const cf = join(scratch, 'cf.bin');
  await makeWeightsFile(
    { ...CIFAR_CONFIG, input_shape: [3, 32, 32], layers: [{ type: 'Conv2D', name: 'conv_cf', filters: 4, kernel_size: 3, data_format: 'channels_first' }, { type: 'Flatten' }, { type: 'Dense', units: 10, activation: 'softmax' }] },
    cf,
  );
  const refused = runCliWithDataset(['visualize', '--weights', cf, '--out', join(scratch, 'cf.png'), '--data-dir', dataDir], def, env);
  assert.equal(refused.status, 2);
  assert.match(
    refused.stderr,
    /cnn: error: the cifar10 images are 32x32x3, channels last, but conv_cf \(Conv2D\) in the model config is channels_first with input_shape \[3, 32, 32\]: cnn feeds dataset images channels last; use data_format "channels_last" and input_shape \[32, 32, 3\]/,
  );
});

test('the sheet of a channels_first model draws its image as height x width, not as channels x height', async () => {
  const raw = {
    name: 'grey_cf',
    input_shape: [1, 28, 28],
    layers: [
      { type: 'Conv2D', name: 'conv_cf', filters: 2, kernel_size: 3, data_format: 'channels_first' },
      { type: 'Flatten', name: 'flatten' },
      { type: 'Dense', name: 'out', units: 10, activation: 'softmax' },
    ],
  };
  const { config, net } = await makeWeightsFile(raw, join(scratch, 'cf-grey.bin'));
  const pixels = Uint8Array.from({ length: 784 }, (_, i) => i % 256);
  const spec = buildSheet(config, net, pixels);
  assert.deepEqual([spec.image.height, spec.image.width, spec.image.rgb], [28, 28, false]);
  assert.equal(spec.image.values[29], 29);
});
