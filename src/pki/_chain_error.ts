/**
 * {@link ChainError}: why a certificate chain was rejected, for humans
 * (`message`) and machines (`reason`, `depth`). Internal; re-exported by
 * `chain.ts`.
 * @module
 */
import { EdgeError } from "../errors.ts";
import type { x509 } from "./_x509.ts";

/** Machine-readable rejection reasons, one per rule. */
export type ChainFailureReason =
  | "untrusted"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "not_ca"
  | "path_len_exceeded"
  | "key_usage"
  | "ext_key_usage"
  | "name_constraints"
  | "unhandled_critical_extension"
  | "spiffe_id"
  | "leaf_is_ca";

/** A rejected chain: `code` is `CHAIN_INVALID`, `reason` names the rule. */
export class ChainError extends EdgeError {
  /** The rule that failed. */
  readonly reason: ChainFailureReason;
  /** Position of the offending certificate (0 = leaf), when one is to blame. */
  readonly depth?: number;
  /** Subject of the offending certificate, when one is to blame. */
  readonly subject?: string;

  /**
   * @param reason the failed rule
   * @param message human-readable, names the certificate and the rule
   * @param at the offending certificate's position and subject
   */
  constructor(
    reason: ChainFailureReason,
    message: string,
    at?: { depth: number; subject: string },
  ) {
    super("CHAIN_INVALID", message);
    this.name = "ChainError";
    this.reason = reason;
    this.depth = at?.depth;
    this.subject = at?.subject;
  }
}

/** "Certificate at depth 1 (intermediate, subject "CN=x")" for messages. */
export function describe(
  cert: x509.X509Certificate,
  depth: number,
  length: number,
): string {
  const role = depth === 0
    ? "leaf"
    : depth === length - 1
    ? "trust anchor"
    : "intermediate";
  return `Certificate at depth ${depth} (${role}, subject ${
    JSON.stringify(cert.subject)
  })`;
}

/** Throw a {@link ChainError} blaming `chain[depth]`. */
export function fail(
  reason: ChainFailureReason,
  chain: x509.X509Certificate[],
  depth: number,
  rule: string,
): never {
  const cert = chain[depth];
  throw new ChainError(
    reason,
    `${describe(cert, depth, chain.length)} ${rule}`,
    { depth, subject: cert.subject },
  );
}
