/**
 * stdout/stderr that may go away. `cnn train | head -1` closes the pipe after one line; the next
 * write then fails with EPIPE, and an 'error' event nobody listens to kills the process with a stack
 * trace, in the middle of training or of writing the weights. Like `git log | head`, a closed
 * output must only stop the output: this wrapper swallows the stream's errors, remembers that it is
 * closed, and drops later writes, so the work goes on and is saved.
 */

export interface ClosableOutput {
  write(text: string): void;
  /** The underlying stream's isTTY, for the progress line and the spinner. */
  readonly isTTY: boolean;
  /** True once a write failed (EPIPE, EIO ...): nothing more is written. */
  readonly closed: boolean;
}

const guarded = new WeakMap<NodeJS.WritableStream, ClosableOutput>();

export function closableOutput(stream: NodeJS.WriteStream): ClosableOutput {
  const known = guarded.get(stream);
  if (known) return known;
  let closed = false;
  // Kept for the life of the process: a late write (an error message at exit) must not crash either.
  stream.on('error', () => {
    closed = true;
  });
  const output: ClosableOutput = {
    write(text: string) {
      if (closed || stream.destroyed || stream.writableEnded) {
        closed = true;
        return;
      }
      try {
        stream.write(text);
      } catch {
        closed = true;
      }
    },
    get isTTY() {
      return Boolean(stream.isTTY);
    },
    get closed() {
      return closed || stream.destroyed;
    },
  };
  guarded.set(stream, output);
  return output;
}
