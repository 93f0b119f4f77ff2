/**
 * Names the kind of a file that is not a cnn weights file from its first bytes, so the error can
 * say "this looks like a zip file" when someone passes a .keras model, an .h5 file or a text file.
 */

const KNOWN_MAGICS: { bytes: number[]; kind: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], kind: 'a zip file, such as a .keras model' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], kind: 'an empty zip file' },
  { bytes: [0x89, 0x48, 0x44, 0x46], kind: 'an HDF5 file, such as Keras .h5 weights' },
  { bytes: [0x1f, 0x8b], kind: 'a gzip file' },
  { bytes: [0x93, 0x4e, 0x55, 0x4d], kind: 'a NumPy .npy file' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], kind: 'an executable (ELF)' },
  { bytes: [0x00, 0x00, 0x08, 0x01], kind: 'an IDX label file' },
  { bytes: [0x00, 0x00, 0x08, 0x03], kind: 'an IDX image file' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], kind: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], kind: 'a JPEG image' },
];

/** "magic 0x504b0304: this looks like a zip file ..." for the first bytes of a file (4 or more). */
export function describeForeignMagic(head: Uint8Array): string {
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
  const kind = guessKind(head);
  return kind ? `magic 0x${hex}: this looks like ${kind}` : `magic 0x${hex}`;
}

function guessKind(head: Uint8Array): string | undefined {
  for (const { bytes, kind } of KNOWN_MAGICS) {
    if (bytes.every((b, i) => head[i] === b)) return kind;
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 512));
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') return 'a JSON file';
  if (looksLikeText(head.subarray(0, 512))) return 'a text file';
  return undefined;
}

/** Printable text: UTF-8 without control characters (a character cut at the end of the sample is fine). */
function looksLikeText(bytes: Uint8Array): boolean {
  const s = new TextDecoder('utf-8', { fatal: false }).decode(bytes).replace(/\uFFFD$/, '');
  return !/[\u0000-\u0008\u000e-\u001f\u007f\uFFFD]/.test(s);
}
