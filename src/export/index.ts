/** Export of trained models to ONNX and TensorFlow.js, and import back from TensorFlow.js. */
export { readExportableModel, exportableFromContents, type ExportableModel } from './exportable.js';
export { modelToOnnx, ONNX_OPSET, ONNX_IR_VERSION, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, type OnnxExport } from './onnx.js';
export { modelToTfjs, writeTfjsModel, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE, type TfjsModelJson } from './tfjs.js';
export { importTfjsModel, type ImportOptions } from './tfjs-import.js';
