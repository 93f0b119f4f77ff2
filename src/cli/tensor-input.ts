/**
 * The calculators' tensor options (--input, --kernel): nested JSON given inline, as @file.json, or as
 * "-" for standard input (inputs larger than a command line), and the limits that keep their results
 * printable: the output becomes nested JavaScript arrays and text, so it is capped well before V8's heap.
 */
import { readFileSync } from 'node:fs';
import { usageError } from '../errors.js';
import { INT32_MAX } from '../model/validate-limits.js';
import { parsePairOption, parseTensorOption } from './parse.js';

/** The most values a calculator prints (the output), and the most it reads per tensor option. */
export const MAX_CALCULATOR_OUTPUT = 1_000_000;
export const MAX_CALCULATOR_INPUT = 16_777_216;
/** The most multiply-adds (conv) or window reads (pool) a calculator does: about a second of work. */
export const MAX_CALCULATOR_WORK = 2 ** 30;
/** The native calculators' column buffer (output positions x kernel patch), in floats. */
export const MAX_CALCULATOR_COLUMNS = 16_777_216;

/** Reads --input/--kernel: inline JSON, @path, or - (stdin, for one option only). */
export function readTensorArg(name: string, raw: string, readStdin: () => string = () => readFileSync(0, 'utf8')): { data: number[]; shape: number[] } {
  let text = raw;
  if (raw === '-') {
    try {
      text = readStdin();
    } catch (e) {
      throw usageError('ERR_BAD_OPTION', `${name} -: cannot read standard input: ${(e as Error).message}`);
    }
  } else if (raw.startsWith('@')) {
    const path = raw.slice(1);
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (e as Error).message;
      throw usageError('ERR_BAD_OPTION', `${name} ${raw}: cannot read ${path}: ${why}`);
    }
  }
  const t = parseTensorOption(name, text);
  if (t.data.length > MAX_CALCULATOR_INPUT) {
    throw usageError('ERR_BAD_OPTION', `${name} holds ${t.data.length} values; the calculators take at most ${MAX_CALCULATOR_INPUT}`);
  }
  return t;
}

/** Only one option can read standard input. */
export function checkOneStdin(args: [string, string | undefined][]): void {
  const fromStdin = args.filter(([, v]) => v === '-').map(([n]) => n);
  if (fromStdin.length > 1) throw usageError('ERR_BAD_OPTION', `only one option can read standard input ("-"); got ${fromStdin.join(' and ')}`);
}

/** A pair option whose values the native core takes: integers from 1 to 2^31 - 1. */
export function parseWindowPair(name: string, raw: string): [number, number] {
  const pair = parsePairOption(name, raw);
  if (pair.some((v) => v > INT32_MAX)) {
    throw usageError('ERR_BAD_OPTION', `${name} must be at most ${INT32_MAX}, got ${JSON.stringify(raw)}`);
  }
  return pair;
}

/** Refuses an output too large to print, naming its shape and the limit. */
export function checkOutputSize(command: string, shape: number[], what: string): void {
  const values = shape.reduce((a, b) => a * b, 1);
  if (values > MAX_CALCULATOR_OUTPUT) {
    throw usageError(
      'ERR_BAD_OPTION',
      `the output would be ${shape.join('x')} = ${values} values; cnn ${command} prints at most ${MAX_CALCULATOR_OUTPUT}: use a smaller --input or ${what}`,
    );
  }
}

/** Refuses work that would run for minutes (huge "same" windows over a large input), naming the limit. */
export function checkWork(command: string, work: number, what: string, advice: string): void {
  if (work > MAX_CALCULATOR_WORK) {
    throw usageError('ERR_BAD_OPTION', `cnn ${command} would do ${work} ${what}; it does at most ${MAX_CALCULATOR_WORK}: ${advice}`);
  }
}
