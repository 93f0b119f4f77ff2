/** `cnn pool`: a learner's calculator for max and average pooling on the native kernels. */
import { Command } from 'commander';
import { usageError } from '../../errors.js';
import { loadNative } from '../../native.js';
import { windowOutputLength } from '../../model/shapes.js';
import { windowLimitProblem } from '../../model/validate-limits.js';
import { nest, parseChoice } from '../parse.js';
import { checkOutputSize, checkWork, parseWindowPair, readTensorArg } from '../tensor-input.js';
import { formatChannels } from '../table.js';

export interface PoolRequest {
  input: string;
  poolSize: string;
  strides?: string;
  padding?: string;
  mode?: string;
}

export function pool(req: PoolRequest): { output: unknown; shape: number[]; text: string } {
  const input = readTensorArg('--input', req.input);
  const poolSize = parseWindowPair('--pool-size', req.poolSize);
  const strides = req.strides === undefined ? poolSize : parseWindowPair('--strides', req.strides);
  const padding = parseChoice('--padding', req.padding ?? 'valid', ['valid', 'same'] as const);
  const mode = parseChoice('--mode', req.mode ?? 'max', ['max', 'avg'] as const);
  if (input.shape.length !== 2 && input.shape.length !== 3) {
    throw usageError('ERR_BAD_OPTION', `--input must be 2-D (h, w) or 3-D (h, w, c); got shape (${input.shape.join(', ')})`);
  }
  const inShape = input.shape.length === 2 ? [...input.shape, 1] : input.shape;
  if (padding === 'valid' && (poolSize[0] > inShape[0] || poolSize[1] > inShape[1])) {
    throw usageError('ERR_BAD_OPTION', `--pool-size ${poolSize.join('x')} is larger than the input (${inShape[0]}x${inShape[1]}) with padding valid`);
  }
  for (let axis = 0; axis < 2; axis++) {
    const problem = windowLimitProblem(inShape[axis], poolSize[axis], strides[axis], 1, padding);
    if (problem) throw usageError('ERR_BAD_OPTION', `--pool-size/--strides: along the ${axis === 0 ? 'height' : 'width'}, ${problem}`);
  }
  const outH = windowOutputLength(inShape[0], poolSize[0], padding, strides[0]);
  const outW = windowOutputLength(inShape[1], poolSize[1], padding, strides[1]);
  checkOutputSize('pool', [outH, outW, inShape[2]], 'larger strides');
  const cells = Math.min(poolSize[0], inShape[0]) * Math.min(poolSize[1], inShape[1]);
  checkWork('pool', outH * outW * inShape[2] * cells, 'window reads', 'use a smaller --pool-size or larger --strides');
  const r = loadNative().pool(Float32Array.from(input.data), inShape, poolSize, strides, padding === 'same', mode);
  const shape = input.shape.length === 2 ? r.shape.slice(0, 2) : r.shape;
  return { output: nest(r.data, shape), shape, text: formatChannels(r.data, r.shape) };
}

export function poolCommand(): Command {
  return new Command('pool')
    .description('max or average pooling of a small input (Keras MaxPooling2D/AveragePooling2D arithmetic)')
    .requiredOption('--input <json>', 'input as nested arrays: (h, w) or (h, w, c); @file.json reads a file, - reads stdin')
    .requiredOption('--pool-size <p>', 'window: P or "PH,PW"')
    .option('--strides <s>', 'stride: S or "SH,SW" (default: the pool size, as Keras)')
    .option('--padding <p>', 'valid or same', 'valid')
    .option('--mode <m>', 'max or avg', 'max')
    .option('--json', 'print {"output": nested arrays}')
    .action((opts: PoolRequest & { json?: boolean }) => {
      const r = pool(opts);
      process.stdout.write(opts.json ? `${JSON.stringify({ output: r.output })}\n` : `${r.text}\n`);
    });
}
