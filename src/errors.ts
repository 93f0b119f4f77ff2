/**
 * The one error type of `cnn`. Every expected failure (bad usage, bad config, bad file, a native
 * error) is a CnnError with a stable `code`; the CLI prints its message without a stack trace and
 * exits with `exitCode`. The native addon throws the same class (handed to it at load time).
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

export class CnnError extends Error {
  readonly code: string;
  exitCode: number;

  constructor(code: string, message: string, exitCode: number = ExitCode.failure) {
    super(message);
    this.name = 'CnnError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A mistake in what the user asked for (an option, a config): exit code 2. */
export function usageError(code: string, message: string): CnnError {
  return new CnnError(code, message, ExitCode.usage);
}

export function isCnnError(e: unknown): e is CnnError {
  return e instanceof CnnError || (typeof e === 'object' && e !== null && (e as { name?: string }).name === 'CnnError');
}
