/**
 * The one mapping from error codes to HTTP statuses for the hub's APIs, and
 * the plain-text error responses KubeEdge clients expect.
 * @module
 */
import { type ErrorCode, isEdgeError } from "../errors.ts";

const STATUS: Partial<Record<ErrorCode, number>> = {
  HUB_BAD_REQUEST: 400,
  CSR_INVALID: 400,
  USAGE: 400,
  HUB_UNAUTHORIZED: 401,
  HUB_FORBIDDEN: 403,
  HUB_NOT_FOUND: 404,
  HUB_CONFLICT: 409,
  HUB_PAYLOAD_TOO_LARGE: 413,
  HUB_RATE_LIMITED: 429,
  HUB_UNAVAILABLE: 503,
};

/** HTTP status for an error (500 for anything unexpected). */
export function httpStatusFor(err: unknown): number {
  return isEdgeError(err) ? STATUS[err.code] ?? 500 : 500;
}

/** Client-facing message: the error's own for known codes, a generic one otherwise. */
export function publicMessage(err: unknown): string {
  return httpStatusFor(err) === 500
    ? "internal error (see the hub logs)"
    : (err as Error).message;
}

/** A plain-text error response (`text/plain`, message + newline). */
export function textError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
