/** `cnn export`: a trained model as ONNX (one .onnx file) or TensorFlow.js (model.json + weights.bin). */
import { Command } from 'commander';
import { CnnError, usageError } from '../../errors.js';
import { formatShapeTuple } from '../../model/shapes.js';
import { describeFsError, writeFileAtomic } from '../../util/atomic-write.js';
import { readExportableModel } from '../../export/exportable.js';
import { modelToOnnx, ONNX_OPSET } from '../../export/onnx.js';
import { writeTfjsModel, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from '../../export/tfjs.js';
import { installExport } from '../../export/install-output.js';
import { kerasArchiveFromWeightsFile } from '../../export/keras.js';
import { join } from 'node:path';
import { parseChoice } from '../parse.js';

interface ExportOptions {
  weights: string;
  format: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

/** What a failed write leaves: with the staging folder, the target is always as it was. */
function unchanged(path: string): string {
  return `${path} is unchanged`;
}

export interface ExportResult {
  format: 'onnx' | 'tfjs' | 'keras';
  files: string[];
  input: { name: string; shape: (number | null)[]; layout: 'NHWC'; preprocessing: { rescale: number; offset: number } };
  output: { name: string; shape: (number | null)[] };
  opset?: number;
}

export async function exportModel(opts: ExportOptions): Promise<ExportResult> {
  const format = parseChoice('--format', opts.format, ['onnx', 'tfjs', 'keras'] as const);
  const model = await readExportableModel(opts.weights);
  const { config, shapes } = model;
  const outShape = shapes.length ? shapes[shapes.length - 1].output : config.input_shape;
  const preprocessing = { ...config.preprocessing };
  if (format === 'onnx') {
    if (!opts.out.toLowerCase().endsWith('.onnx')) throw usageError('ERR_BAD_OPTION', `--out must name a .onnx file for --format onnx, got ${JSON.stringify(opts.out)}`);
    const onnx = modelToOnnx(model);
    try {
      await installExport(opts.out, 'onnx', Boolean(opts.force), (temp) => writeFileAtomic(temp, onnx.bytes));
    } catch (e) {
      if (e instanceof CnnError) throw e;
      throw new CnnError('ERR_EXPORT', `cannot write ${opts.out}: ${describeFsError(e)}; ${unchanged(opts.out)}`);
    }
    return {
      format,
      files: [opts.out],
      input: { name: onnx.inputName, shape: [null, ...config.input_shape], layout: 'NHWC', preprocessing },
      output: { name: onnx.outputName, shape: [null, ...outShape] },
      opset: ONNX_OPSET,
    };
  }
  if (format === 'keras') {
    if (!opts.out.toLowerCase().endsWith('.keras')) throw usageError('ERR_BAD_OPTION', `--out must name a .keras file for --format keras, got ${JSON.stringify(opts.out)}`);
    const archive = await kerasArchiveFromWeightsFile(opts.weights);
    try {
      await installExport(opts.out, 'keras', Boolean(opts.force), (temp) => writeFileAtomic(temp, archive));
    } catch (e) {
      if (e instanceof CnnError) throw e;
      throw new CnnError('ERR_EXPORT', `cannot write ${opts.out}: ${describeFsError(e)}; ${unchanged(opts.out)}`);
    }
    return {
      format,
      files: [opts.out],
      input: { name: 'input_layer', shape: [null, ...config.input_shape], layout: 'NHWC', preprocessing },
      output: { name: config.layers[config.layers.length - 1]?.name ?? 'output', shape: [null, ...outShape] },
    };
  }
  const dir = opts.out.replace(/(.)\/+$/, '$1');
  try {
    await installExport(dir, 'tfjs', Boolean(opts.force), async (temp) => {
      await writeTfjsModel(model, temp);
    });
  } catch (e) {
    if (e instanceof CnnError) throw e;
    throw new CnnError('ERR_EXPORT', `cannot write the TensorFlow.js model into ${dir}: ${describeFsError(e)}; ${unchanged(dir)}`);
  }
  const written = { modelPath: join(dir, TFJS_MODEL_FILE), weightsPath: join(dir, TFJS_WEIGHTS_FILE) };
  return {
    format,
    files: [written.modelPath, written.weightsPath],
    input: { name: config.layers[0]?.name ?? 'input', shape: [null, ...config.input_shape], layout: 'NHWC', preprocessing },
    output: { name: config.layers[config.layers.length - 1]?.name ?? 'output', shape: [null, ...outShape] },
  };
}

export function exportCommand(): Command {
  return new Command('export')
    .description('write a trained model as ONNX (opset 13), a TensorFlow.js layers model or a Keras 3 .keras file')
    .requiredOption('--weights <file>', 'a weights file written by cnn train')
    .requiredOption('--out <path>', 'the .onnx or .keras file, or the folder for model.json and weights.bin')
    .option('--format <format>', 'onnx, tfjs or keras', 'onnx')
    .option('--force', 'replace an existing --out that is not a previous cnn export')
    .option('--json', 'print {format, files, input, output, opset}')
    .action(async (opts: ExportOptions) => {
      const r = await exportModel(opts);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
        return;
      }
      const p = r.input.preprocessing;
      const shape = (s: (number | null)[]): string => formatShapeTuple(s.slice(1) as number[]);
      process.stdout.write(
        [
          `wrote ${r.files.join(' and ')}${r.opset ? ` (ONNX opset ${r.opset})` : r.format === 'keras' ? ' (Keras 3 .keras format)' : ' (TensorFlow.js layers format)'}`,
          `  input:  ${r.format === 'onnx' ? `"${r.input.name}" ` : ''}float32 ${shape(r.input.shape)}, NHWC, pixels * ${p.rescale}${p.offset ? ` + ${p.offset}` : ''}`,
          `  output: ${r.format === 'onnx' ? `"${r.output.name}" ` : ''}float32 ${shape(r.output.shape)}`,
          '',
        ].join('\n'),
      );
    });
}
