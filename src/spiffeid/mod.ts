/**
 * SPIFFE IDs and trust domains (SPIFFE-ID standard): parse, build, compare.
 *
 * @example
 * ```ts
 * import { isMemberOf, parseSpiffeId } from "./mod.ts";
 * const id = parseSpiffeId("spiffe://example.org/node/pi-1");
 * isMemberOf(id, "example.org"); // true
 * ```
 * @module
 */
export {
  isMemberOf,
  isNodeId,
  isRoot,
  NODE_ID_RESERVED,
  parseSpiffeId,
  spiffeIdFromParts,
} from "./id.ts";
export type { SpiffeId } from "./id.ts";
export { parseTrustDomain } from "./trust_domain.ts";
export type { TrustDomain } from "./trust_domain.ts";
export { SpiffeIdError } from "./error.ts";
export type { SpiffeIdRule, SpiffeIdSubject } from "./error.ts";
