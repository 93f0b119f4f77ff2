/**
 * onnxruntime-web for the tests, with V8 told to keep its WebAssembly in the baseline compiler
 * (Liftoff) only. The runtime is 14 MB of wasm; optimizing its hot functions again (TurboFan tier-up)
 * took more CPU than the few small models a test runs through it (60.export-onnx: 3.7 -> 1.8 CPU-s).
 * The flag must be set before the module is compiled, so this is imported instead of 'onnxruntime-web'.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');

export const ort = await import('onnxruntime-web');
