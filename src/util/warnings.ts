/**
 * Warnings from the library (a setting it had to correct, a fallback it took). The library never
 * writes to the terminal itself: by default a warning goes to process.emitWarning, where a library
 * user can listen for it; the CLI installs a handler that prints `cnn: warning: ...` on stderr.
 * Each distinct message is delivered once per process, however often the code path runs.
 */
export type WarningHandler = (message: string) => void;

const defaultHandler: WarningHandler = (message) => process.emitWarning(message, { type: 'CnnWarning' });
let handler: WarningHandler = defaultHandler;
const delivered = new Set<string>();

/** Replaces where warnings go; no argument restores process.emitWarning. */
export function setWarningHandler(h?: WarningHandler): void {
  handler = h ?? defaultHandler;
}

export function warnOnce(message: string): void {
  if (delivered.has(message)) return;
  delivered.add(message);
  handler(message);
}
