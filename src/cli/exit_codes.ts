/**
 * The one mapping from error codes to process exit codes. Documented in
 * every `--help` (see {@link EXIT_CODES_HELP}).
 * @module
 */
import type { ErrorCode } from "../errors.ts";
import { isEdgeError } from "../errors.ts";

/** Process exit codes. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  STATE: 3,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: ExitCode.USAGE,
  CONFIG_INVALID: ExitCode.USAGE,
  CONFIG_NOT_FOUND: ExitCode.USAGE,
  STORE_UNSAFE_DIR: ExitCode.STATE,
  STORE_CORRUPT: ExitCode.STATE,
  STORE_LOCKED: ExitCode.STATE,
};

/** Exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  return isEdgeError(err)
    ? BY_CODE[err.code] ?? ExitCode.FAILURE
    : ExitCode.FAILURE;
}

/** Help text block listing the exit codes. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  runtime failure (network, upstream CA, I/O, not yet available)
  2  usage error or invalid configuration (the message names the flag or field)
  3  state directory unsafe, corrupt or in use by another process
     (the message says what to fix)`;
