#!/usr/bin/env node
// `npm run build:gyp`: node-gyp build of the addon (binding.gyp) that never downloads anything.
// node-gyp on its own fetches Node's headers from the internet into ~/.cache/node-gyp. Every Node
// release already ships them beside the executable (<prefix>/include/node, with common.gypi), so we
// point node-gyp there with --nodedir when their version is the running Node's, and say what to do
// when they are missing instead of letting node-gyp try the network.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

const require = createRequire(import.meta.url);

function headersVersion(prefix) {
  try {
    const h = readFileSync(join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const v = ['MAJOR', 'MINOR', 'PATCH'].map((k) => h.match(new RegExp(`#define NODE_${k}_VERSION (\\d+)`))?.[1]);
    return v.every(Boolean) ? `v${v.join('.')}` : undefined;
  } catch {
    return undefined;
  }
}

function findNodeDir() {
  const candidates = [
    process.env.npm_config_nodedir,
    resolve(dirname(process.execPath), '..'),
    process.config.variables.node_prefix,
  ].filter(Boolean);
  for (const prefix of candidates) {
    if (existsSync(join(prefix, 'include', 'node', 'common.gypi')) && headersVersion(prefix) === process.version) {
      return { prefix, candidates };
    }
  }
  return { prefix: undefined, candidates };
}

const { prefix, candidates } = findNodeDir();
if (!prefix) {
  process.stderr.write(
    `cnn: error: node-gyp needs Node ${process.version}'s headers (include/node/common.gypi and node_version.h),\n` +
      `and none of these folders has them: ${candidates.join(', ')}.\n` +
      'what you can do:\n' +
      '  - build with `npm install` instead: cmake-js needs only the node-api-headers npm package\n' +
      '  - install Node from a release that includes its headers (the official tarballs and installers do), or\n' +
      "    your distribution's Node headers package, then run `npm run build:gyp` again\n" +
      '  - or set npm_config_nodedir=DIR to a folder holding include/node for this exact Node version\n',
  );
  process.exit(1);
}
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
console.log(`build:gyp: node-gyp rebuild against the headers in ${join(prefix, 'include', 'node')}`);
const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', `--nodedir=${prefix}`, '--jobs', 'max', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
