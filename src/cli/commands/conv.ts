/** `cnn conv`: a learner's calculator that convolves a small input with a kernel on the native kernels. */
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { loadNative } from '../../native.js';
import { windowOutputLength } from '../../model/shapes.js';
import { windowLimitProblem } from '../../model/validate-limits.js';
import { nest, parseChoice } from '../parse.js';
import { checkOneStdin, checkOutputSize, checkWork, MAX_CALCULATOR_COLUMNS, parseWindowPair, readTensorArg } from '../tensor-input.js';
import { formatChannels } from '../table.js';

export interface ConvRequest {
  input: string;
  kernel: string;
  strides?: string;
  padding?: string;
  dilation?: string;
}

/** Runs the convolution; returns the output as nested arrays, 2-D when input and kernel were 2-D. */
export function convolve(req: ConvRequest): { output: unknown; shape: number[]; text: string } {
  checkOneStdin([['--input', req.input], ['--kernel', req.kernel]]);
  const input = readTensorArg('--input', req.input);
  const kernel = readTensorArg('--kernel', req.kernel);
  const strides = parseWindowPair('--strides', req.strides ?? '1');
  const dilation = parseWindowPair('--dilation', req.dilation ?? '1');
  const padding = parseChoice('--padding', req.padding ?? 'valid', ['valid', 'same'] as const);
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    throw usageError('ERR_BAD_OPTION', '--strides > 1 cannot be combined with --dilation > 1 (as in Keras)');
  }
  if (input.shape.length !== 2 && input.shape.length !== 3) {
    throw usageError('ERR_BAD_OPTION', `--input must be 2-D (h, w) or 3-D (h, w, in); got shape (${input.shape.join(', ')})`);
  }
  if (kernel.shape.length !== 2 && kernel.shape.length !== 4) {
    throw usageError('ERR_BAD_OPTION', `--kernel must be 2-D (kh, kw) or 4-D (kh, kw, in, out); got shape (${kernel.shape.join(', ')})`);
  }
  const plain2d = input.shape.length === 2 && kernel.shape.length === 2;
  const inShape = input.shape.length === 2 ? [...input.shape, 1] : input.shape;
  const kShape = kernel.shape.length === 2 ? [...kernel.shape, 1, 1] : kernel.shape;
  if (kShape[2] !== inShape[2]) {
    throw usageError('ERR_BAD_OPTION', `--kernel has ${kShape[2]} input channel(s) but --input has ${inShape[2]}`);
  }
  for (let axis = 0; axis < 2; axis++) {
    const problem = windowLimitProblem(inShape[axis], kShape[axis], strides[axis], dilation[axis], padding);
    if (problem) throw usageError('ERR_BAD_OPTION', `--dilation/--strides: along the ${axis === 0 ? 'height' : 'width'}, ${problem}`);
  }
  const effH = (kShape[0] - 1) * dilation[0] + 1;
  const effW = (kShape[1] - 1) * dilation[1] + 1;
  if (padding === 'valid' && (effH > inShape[0] || effW > inShape[1])) {
    throw usageError('ERR_BAD_OPTION', `the kernel (${effH}x${effW} with dilation) is larger than the input (${inShape[0]}x${inShape[1]}) with padding valid`);
  }
  const outH = windowOutputLength(inShape[0], kShape[0], padding, strides[0], dilation[0]);
  const outW = windowOutputLength(inShape[1], kShape[1], padding, strides[1], dilation[1]);
  checkOutputSize('conv', [outH, outW, kShape[3]], 'fewer filters');
  const columns = outH * outW * kShape[0] * kShape[1] * kShape[2];
  if (columns > MAX_CALCULATOR_COLUMNS) {
    throw usageError('ERR_BAD_OPTION', `the convolution would expand to ${columns} values (${outH}x${outW} positions x a ${kShape[0]}x${kShape[1]}x${kShape[2]} patch); cnn conv handles at most ${MAX_CALCULATOR_COLUMNS}`);
  }
  checkWork('conv', columns * kShape[3], 'multiply-adds', 'use a smaller --input or kernel');
  const native = loadNative();
  const r = native.conv2d(Float32Array.from(input.data), inShape, Float32Array.from(kernel.data), kShape, strides, dilation, padding === 'same');
  const shape = plain2d ? r.shape.slice(0, 2) : r.shape;
  return { output: nest(r.data, shape), shape, text: formatChannels(r.data, r.shape, 'filter') };
}

export function convCommand(): Command {
  return new Command('conv')
    .description('convolve a small input with a kernel (Keras Conv2D arithmetic, no bias), e.g. --input "[[1,2],[3,4]]"')
    .requiredOption('--input <json>', 'input as nested arrays: (h, w) or (h, w, in); @file.json reads a file, - reads stdin')
    .requiredOption('--kernel <json>', 'kernel as nested arrays: (kh, kw) or (kh, kw, in, out); @file.json or - as for --input')
    .option('--strides <s>', 'stride: S or "SH,SW"', '1')
    .option('--padding <p>', 'valid or same', 'valid')
    .option('--dilation <d>', 'dilation rate: D or "DH,DW"', '1')
    .option('--json', 'print {"output": nested arrays}')
    .action((opts: ConvRequest & { json?: boolean }) => {
      const r = convolve(opts);
      process.stdout.write(opts.json ? `${JSON.stringify({ output: r.output })}\n` : `${r.text}\n`);
    });
}
