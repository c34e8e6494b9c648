/**
 * What the identity lifecycle reports: {@link IdentityStatus}, shared by the
 * scheduler (which produces it), the admin API and `edge-runtime status`.
 * @module
 */
import type { UpstreamKind } from "./state.ts";

/**
 * Lifecycle phase:
 * - `waiting-for-token`: no identity yet; the token file is missing or empty
 * - `enrolling`: first enrollment in progress or being retried
 * - `valid`: certificate valid, renewal scheduled
 * - `renewing`: renewal in progress
 * - `retrying`: renewal failed; retrying with backoff, certificate still valid
 * - `expired`: certificate expired, upstream unreachable; still retrying
 * - `needs-rebootstrap`: certificate expired and renewal refused; a new join
 *   token is needed (the old identity is kept)
 * - `stopped`: the runtime is shutting down
 */
export type IdentityPhase =
  | "waiting-for-token"
  | "enrolling"
  | "valid"
  | "renewing"
  | "retrying"
  | "expired"
  | "needs-rebootstrap"
  | "stopped";

/** A snapshot of the node identity lifecycle (JSON-safe; times are ISO strings). */
export interface IdentityStatus {
  /** Node name. */
  node: string;
  /** The node's SPIFFE ID. */
  spiffeId: string;
  /** Current phase. */
  phase: IdentityPhase;
  /** Certificate serial (hex), when an identity exists. */
  serial?: string;
  /** NotBefore of the current certificate. */
  notBefore?: string;
  /** NotAfter of the current certificate. */
  notAfter?: string;
  /** When the next renewal (or retry) is due. */
  nextRenewal?: string;
  /** Failed attempts since the last success. */
  failures: number;
  /** Last failure, cleared by a success. */
  lastError?: { code: string; message: string; at: string };
  /** Last successful renewal or enrollment. */
  lastSuccess?: string;
  /** The upstream and whether the last contact reached it (absent: not yet tried). */
  upstream: { kind: UpstreamKind; endpoint: string; reachable?: boolean };
}
