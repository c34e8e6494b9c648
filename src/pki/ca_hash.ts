/**
 * The KubeEdge CA hash: lowercase hex SHA-256 of the CA certificate's DER
 * (part 0 of a join token `<caHash>.<jwt>`).
 *
 * @example
 * ```ts
 * const hash = await caHash(root.cert.der); // "3f1c…" (64 hex chars)
 * ```
 * @module
 */
import { sha256Hex } from "../bytes.ts";

/** Lowercase hex SHA-256 of `der` (a CA certificate in DER). */
export async function caHash(der: Uint8Array): Promise<string> {
  return await sha256Hex(der);
}
