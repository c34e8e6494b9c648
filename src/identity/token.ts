/**
 * KubeEdge join tokens: `<caHash>.<jwt>` — four dot-separated parts, part 0
 * the lowercase hex SHA-256 of the hub CA's DER, parts 1–3 an HS256 JWT
 * (see `../shared/reference/kubeedge.md`). A token is a secret: it is never
 * logged and never part of an error message.
 *
 * @example
 * ```ts
 * const token = parseJoinToken(await Deno.readTextFile("/etc/edge/token"));
 * token.caHash; // "3f1c…" (64 hex chars)
 * ```
 * @module
 */
import { EdgeError } from "../errors.ts";
import { sha256Hex } from "../bytes.ts";
import { decodeJwtInsecure } from "../jose/mod.ts";

/** A parsed join token. */
export interface JoinToken {
  /** Lowercase hex SHA-256 of the hub CA certificate's DER. */
  caHash: string;
  /** The JWT sent as `Authorization: Bearer <jwt>` (secret). */
  jwt: string;
  /** The JWT's `exp`, when it can be read (informational; the hub decides). */
  expiresAt?: Date;
  /** SHA-256 of the whole token text: tells tokens apart without keeping them in logs. */
  fingerprint: string;
}

/**
 * Parse a join token (surrounding whitespace ignored). Throws
 * `TOKEN_INVALID` when it is not four dot-separated parts or the CA hash is
 * not 64 hex digits; the message never contains the token.
 */
export async function parseJoinToken(text: string): Promise<JoinToken> {
  const trimmed = text.trim();
  const parts = trimmed.split(".");
  if (parts.length !== 4) {
    throw new EdgeError(
      "TOKEN_INVALID",
      `join token: expected 4 dot-separated parts "<caHash>.<jwt>", got ${parts.length}`,
    );
  }
  if (!/^[0-9a-fA-F]{64}$/.test(parts[0])) {
    throw new EdgeError(
      "TOKEN_INVALID",
      "join token: part 1 must be the CA hash (64 hex digits, SHA-256 of the CA's DER)",
    );
  }
  if (parts.slice(1).some((p) => p === "")) {
    throw new EdgeError("TOKEN_INVALID", "join token: the JWT has empty parts");
  }
  const jwt = parts.slice(1).join(".");
  let expiresAt: Date | undefined;
  try {
    const exp = decodeJwtInsecure(jwt).claims.exp;
    if (typeof exp === "number") expiresAt = new Date(exp * 1000);
  } catch {
    // The hub decides; an unreadable JWT is its call, not ours.
  }
  return {
    caHash: parts[0].toLowerCase(),
    jwt,
    expiresAt,
    fingerprint: await sha256Hex(new TextEncoder().encode(trimmed)),
  };
}
