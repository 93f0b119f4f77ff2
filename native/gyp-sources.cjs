// Lists a native/ folder's .cc files for binding.gyp (which cannot glob), space-separated.
// 'core' means the core plus the portable kernels (kernels/*.cc and kernels/ref/*.cc).
const fs = require('fs');
const path = require('path');

function list(dir, recursive) {
  const abs = path.join(__dirname, dir);
  if (!fs.existsSync(abs)) return [];
  let out = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = path.posix.join('native', dir, entry.name);
    if (entry.isDirectory() && recursive) out = out.concat(list(path.posix.join(dir, entry.name), true));
    else if (entry.isFile() && entry.name.endsWith('.cc')) out.push(rel);
  }
  return out.sort();
}

module.exports = (what) => {
  if (what === 'core') return [...list('core', true), ...list('kernels', false), ...list('kernels/ref', false)].join(' ');
  return list(what, false).join(' ');
};
