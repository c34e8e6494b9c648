/**
 * One error type for the whole product: {@link EdgeError} with a stable
 * `code`. Callers `switch (err.code)`; the CLI maps codes to exit codes, the
 * servers (later) to HTTP/gRPC statuses — in one place each.
 *
 * Messages are for operators: sentence case, values quoted, never a secret.
 *
 * @example
 * ```ts
 * throw new EdgeError("CONFIG_INVALID", "hub.httpServer: expected an https:// URL, got \"htp://x\"");
 * ```
 * @module
 */

/** Every stable error code. Add new codes here, grouped by area. */
export type ErrorCode =
  // configuration
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  // command line
  | "USAGE"
  // state store
  | "STORE_UNSAFE_DIR"
  | "STORE_WRITE_FAILED"
  | "STORE_CORRUPT"
  | "STORE_NOT_FOUND"
  | "STORE_LOCKED"
  // PKI
  | "PEM_INVALID"
  | "KEY_INVALID"
  | "KEY_MISMATCH"
  | "CSR_INVALID"
  | "CERT_INVALID"
  | "CHAIN_INVALID"
  | "CRL_INVALID"
  // SPIFFE
  | "SPIFFE_ID_INVALID"
  // JOSE
  | "JWT_INVALID"
  | "JWT_EXPIRED"
  // workload API, SVIDs and sinks
  | "ENTRY_INVALID"
  | "ATTESTATION_FAILED"
  | "SVID_UNAVAILABLE"
  | "INTERMEDIATE_FAILED"
  | "SINK_FAILED"
  | "SOCKET_FAILED"
  // hub-link messages
  | "MESSAGE_INVALID"
  // reference hub (issue #4): one HTTP status each, see src/hubserver/http_status.ts
  | "HUB_UNAUTHORIZED"
  | "HUB_FORBIDDEN"
  | "HUB_BAD_REQUEST"
  | "HUB_PAYLOAD_TOO_LARGE"
  | "HUB_RATE_LIMITED"
  | "HUB_NOT_FOUND"
  | "HUB_CONFLICT"
  | "HUB_UNAVAILABLE"
  | "AUDIT_TAMPERED"
  // node identity lifecycle (issue #5): bootstrap, renewal, upstreams
  | "TOKEN_INVALID"
  | "TOKEN_CA_HASH_MISMATCH"
  | "IDENTITY_MISSING"
  | "UPSTREAM_UNREACHABLE"
  | "UPSTREAM_REFUSED"
  | "UPSTREAM_REJECTED"
  | "UPSTREAM_UNAVAILABLE"
  | "UPSTREAM_BAD_RESPONSE"
  // hub link (issue #7): durable outbox, transports, local message API
  | "OUTBOX_FULL"
  | "LINK_CLOSED"
  | "LINK_AUTH_FAILED"
  // not yet built (later issues)
  | "NOT_IMPLEMENTED";

/** Base error of edge-runtime; `code` is stable, `message` is for humans. */
export class EdgeError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  /**
   * @param code stable code
   * @param message human-readable, secret-free message
   * @param options `cause` keeps the underlying error for logs/debugging
   */
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EdgeError";
    this.code = code;
  }
}

/** True when `err` is an {@link EdgeError}, optionally with the given code. */
export function isEdgeError(
  err: unknown,
  code?: ErrorCode,
): err is EdgeError {
  return err instanceof EdgeError && (code === undefined || err.code === code);
}
