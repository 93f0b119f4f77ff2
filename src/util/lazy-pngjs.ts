/**
 * pngjs, required on first use. It is CommonJS, so it loads synchronously; importing it at the top of
 * every module that draws would make every `cnn` start (most of which draw nothing) load it.
 */
import { createRequire } from 'node:module';

type Pngjs = typeof import('pngjs');
let loaded: Pngjs | undefined;

export function pngjs(): Pngjs {
  loaded ??= createRequire(import.meta.url)('pngjs') as Pngjs;
  return loaded;
}
