#!/usr/bin/env node
// The CLI lives in dist/, which the build makes (npm install runs it). When the build never ran or
// failed half-way (a missing compiler stops `npm install` before tsc), importing it fails with a raw
// ERR_MODULE_NOT_FOUND and a stack trace: say what is missing and the one command that fixes it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const distUrl = new URL('../dist/', import.meta.url).href;
const entry = new URL('../dist/src/cli/index.js', import.meta.url);

/** A path a shell reads back unchanged. */
function shellQuote(path) {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

let cli;
try {
  cli = await import(entry.href);
} catch (e) {
  // Only a file of cnn's own build output missing; anything else is a real bug and keeps its trace.
  const missing = e?.code === 'ERR_MODULE_NOT_FOUND' && typeof e.url === 'string' && e.url.startsWith(distUrl) ? e.url : undefined;
  if (!missing) throw e;
  const dir = packageDir.replace(/\/$/, '');
  // Without node_modules the build tools are missing too, and only npm install brings them.
  const fix = existsSync(new URL('../node_modules/', import.meta.url)) ? 'npm run build' : 'npm install';
  process.stderr.write(
    `cnn: error: cnn is not built: ${fileURLToPath(missing)} is missing (the compiled TypeScript in ${fileURLToPath(distUrl)}).\n` +
      `To fix it, run: cd ${shellQuote(dir)} && ${fix}\n`,
  );
  process.exit(1);
}

cli.main(process.argv).then((code) => {
  process.exitCode = code;
});
