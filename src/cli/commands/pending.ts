import { EdgeError } from "../../errors.ts";

/**
 * Error for a command whose feature is not in this build yet. Says so
 * plainly instead of pretending; exit code 1.
 */
export function notYetAvailable(what: string, issue: number): EdgeError {
  return new EdgeError(
    "NOT_IMPLEMENTED",
    `${what} is not available in this build yet (planned in issue #${issue})`,
  );
}
