/**
 * FLOPs per training image (src/model/flops.ts) against hand counts of the shipped models. A layer's
 * multiply-accumulates (MACs) are out_h * out_w * filters * k_h * k_w * in_channels for a Conv2D and
 * in * units for a Dense; training counts each MAC twice (multiply, add) in the forward product, the
 * weight gradient and the input gradient, the last left out where no layer before has weights.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { modelFlops } from '../src/model/flops.js';
import { resolveConfig } from '../src/model/shipped.js';
import { validateConfig } from '../src/model/validate.js';

test('mnist.json (seed 000): 425,640 MACs forward, 2,467,440 FLOPs per training image', () => {
  // conv2d   24x24x3 outputs x 5x5x1 taps  =  43,200   (first layer: no input gradient)
  // conv2d_1 20x20x6 outputs x 5x5x3 taps  = 180,000
  // dense    2400 x 84                     = 201,600
  // dense_1  84 x 10                       =     840
  // Forward 2 x 425,640 = 851,280; training 3 x 851,280 - 2 x 43,200 = 2,467,440 (2.47 MFLOP).
  // The "about 2.55 MFLOP" is 3 x forward = 2,553,840: it also counts the first layer's input
  // gradient (86,400 FLOPs, 3.4%), which nothing needs and the core does not compute (network.cc
  // passes no dx to layer 0). Its 16.4 MFLOP for fashion-mnist.json below does leave that out.
  const f = modelFlops(resolveConfig('mnist.json').config);
  assert.deepEqual(f.layers.map((l) => l.macs), [43_200, 180_000, 0, 201_600, 840]);
  assert.equal(f.forward, 851_280);
  assert.equal(f.training, 2_467_440);
  assert.equal(f.layers[0]!.inputGradient, 0);
  assert.equal(f.layers[1]!.inputGradient, 360_000);
});

test('fashion-mnist.json (seed 004): 2,794,240 MACs forward, 16,376,064 FLOPs per training image', () => {
  // conv2d   26x26x32 x 3x3x1   =   194,688   (first layer: no input gradient)
  // conv2d_1 11x11x64 x 3x3x32  = 2,230,272
  // conv2d_2  3x3x64  x 3x3x64  =   331,776
  // dense    576 x 64           =    36,864
  // dense_1  64 x 10            =       640
  // Forward 5,588,480; training 3 x 5,588,480 - 2 x 194,688 = 16,376,064: the 16.4 MFLOP.
  const f = modelFlops(resolveConfig('fashion-mnist.json').config);
  assert.deepEqual(f.layers.map((l) => l.macs), [194_688, 0, 2_230_272, 0, 331_776, 0, 36_864, 640]);
  assert.equal(f.forward, 5_588_480);
  assert.equal(f.training, 16_376_064);
});

test('bench-cifar.json: same padding counts its zero taps, stride 2 quarters the outputs; BN and GAP add none', () => {
  // conv2d   32x32x32 x 3x3x3   =   884,736   (first layer)
  // conv2d_1 16x16x32 x 3x3x32  = 2,359,296   (stride 2, same: 32 -> 16)
  // conv2d_2 16x16x64 x 3x3x32  = 4,718,592
  // conv2d_3  8x8x64  x 3x3x64  = 2,359,296
  // dense    64 x 10            =       640   (after global average pooling)
  // Training 6 x 10,322,560 - 2 x 884,736 = 60,165,888.
  const f = modelFlops(resolveConfig('bench-cifar.json').config);
  assert.deepEqual(f.layers.map((l) => l.macs), [884_736, 0, 0, 2_359_296, 4_718_592, 0, 0, 2_359_296, 0, 640]);
  assert.equal(f.training, 60_165_888);
});

test('a convolution after only preprocessing layers needs no input gradient; one after a weighted layer does', () => {
  const c = validateConfig({
    input_shape: [8, 8, 1],
    layers: [
      { type: 'Rescaling', scale: 0.5 },
      { type: 'Conv2D', filters: 2, kernel_size: 3 },
      { type: 'Conv2D', filters: 4, kernel_size: 3, strides: 2, dilation_rate: 1 },
      { type: 'Flatten' },
      { type: 'Dense', units: 3, activation: 'softmax', use_bias: false },
    ],
  });
  const f = modelFlops(c);
  // 6x6x2 x 9 = 648; (6-3)/2+1 = 2: 2x2x4 x 3x3x2 = 288; 16 x 3 = 48.
  assert.deepEqual(f.layers.map((l) => [l.macs, l.inputGradient]), [[0, 0], [648, 0], [288, 576], [0, 0], [48, 96]]);
  assert.equal(f.training, 4 * 648 + 6 * 288 + 6 * 48);
});
