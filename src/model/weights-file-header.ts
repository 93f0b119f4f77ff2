/**
 * The JSON header of a weights file: what it holds and the checks that turn a malformed one into a
 * reason ("tensors[2].shape must be a list of whole numbers"), so a hand-edited or buggy file is
 * refused with a message instead of producing wrong tensors. See weights-file.ts for the layout.
 */

import { describeValue } from './validate-core.js';

/** A tensor's entry in the header: where its float32 values lie in the data block. */
export interface HeaderTensor {
  name: string;
  layer: string;
  shape: number[];
  /** Byte offset from the start of the data block; a multiple of 4. */
  offset: number;
  trainable: boolean;
}

export interface WeightsHeader {
  config: unknown;
  tensors: HeaderTensor[];
  optimizer?: { type: string; slots: number; iterations: number; state: HeaderTensor[] };
  training?: Record<string, unknown>;
}

/** Thrown for a header that parses as JSON but does not describe a valid weights file. */
export class HeaderProblem extends Error {}

/** Number of values a shape holds; [] is a scalar (1 value). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a parsed header against the data block's byte length and returns it typed. */
export function validateHeader(json: unknown, dataBytes: number): WeightsHeader {
  if (!isObject(json)) throw new HeaderProblem('the header is not a JSON object');
  if (!('config' in json)) throw new HeaderProblem('the header has no "config"');
  const tensors = validateTensorList(json.tensors, 'tensors', dataBytes);
  const header: WeightsHeader = { config: json.config, tensors };
  if (json.optimizer !== undefined) {
    const o = json.optimizer;
    if (!isObject(o)) throw new HeaderProblem('"optimizer" must be an object');
    if (typeof o.type !== 'string') throw new HeaderProblem('optimizer.type must be a string');
    header.optimizer = {
      type: o.type,
      slots: wholeNumber(o.slots, 'optimizer.slots'),
      iterations: wholeNumber(o.iterations, 'optimizer.iterations'),
      state: validateTensorList(o.state, 'optimizer.state', dataBytes),
    };
  }
  if (json.training !== undefined) {
    if (!isObject(json.training)) throw new HeaderProblem('"training" must be an object');
    header.training = validateTraining(json.training);
  }
  return header;
}

function validateTensorList(list: unknown, where: string, dataBytes: number): HeaderTensor[] {
  if (!Array.isArray(list)) throw new HeaderProblem(`"${where}" must be a list`);
  return list.map((t, i) => validateTensor(t, `${where}[${i}]`, dataBytes));
}

function validateTensor(t: unknown, where: string, dataBytes: number): HeaderTensor {
  if (!isObject(t)) throw new HeaderProblem(`${where} must be an object`);
  if (typeof t.name !== 'string') throw new HeaderProblem(`${where}.name must be a string`);
  if (typeof t.layer !== 'string') throw new HeaderProblem(`${where}.layer must be a string`);
  if (!Array.isArray(t.shape)) throw new HeaderProblem(`${where}.shape must be a list of whole numbers`);
  const shape = t.shape.map((d, k) => wholeNumber(d, `${where}.shape[${k}]`));
  const offset = wholeNumber(t.offset, `${where}.offset`);
  if (offset % 4 !== 0) throw new HeaderProblem(`${where}.offset ${offset} is not a multiple of 4`);
  const bytes = shapeSize(shape) * 4;
  if (!Number.isSafeInteger(bytes) || offset + bytes > dataBytes) {
    throw new HeaderProblem(`${where} (${t.name}) lies outside the data block (offset ${offset}, ${bytes} bytes, block ${dataBytes} bytes)`);
  }
  if (t.trainable !== undefined && typeof t.trainable !== 'boolean') {
    throw new HeaderProblem(`${where}.trainable must be true or false`);
  }
  return { name: t.name, layer: t.layer, shape, offset, trainable: t.trainable ?? true };
}

/**
 * The training progress `cnn train` saves for --resume. Each number it reads back is checked here,
 * so a damaged or hand-edited checkpoint is refused with the field's name instead of failing deep
 * inside training. Other fields (history, seed ...) are kept as they are.
 */
function validateTraining(t: Record<string, unknown>): Record<string, unknown> {
  for (const key of ['epoch', 'step', 'correct', 'seen']) if (t[key] !== undefined) wholeNumber(t[key], `training.${key}`);
  for (const key of ['lossSum', 'seconds']) {
    const v = t[key];
    // null: a NaN written as JSON (a run that diverged still saves its last good weights)
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new HeaderProblem(`training.${key} must be a number >= 0, found ${describeValue(v)}`);
    }
  }
  if (t.threads !== undefined && t.threads !== null) wholeNumber(t.threads, 'training.threads');
  const limit = t.limit;
  if (limit !== undefined && limit !== null && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1)) {
    throw new HeaderProblem(`training.limit must be null or a whole number >= 1, found ${describeValue(limit)}`);
  }
  return t;
}

function wholeNumber(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new HeaderProblem(`${where} must be a whole number >= 0, found ${describeValue(v)}`);
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
