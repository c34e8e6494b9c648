/**
 * SPIFFE IDs: {@link SpiffeId}, {@link parseSpiffeId},
 * {@link spiffeIdFromParts}, {@link isMemberOf}, {@link isRoot}.
 * Every rule of the SPIFFE ID standard (SPIFFE-ID §2) is enforced.
 * @module
 */
import { SpiffeIdError, type SpiffeIdRule } from "./error.ts";
import {
  byteLength,
  checkPath,
  checkQueryFragment,
  checkScheme,
  checkSegment,
  checkTrustDomainName,
  MAX_ID_BYTES,
  SCHEME_PREFIX,
} from "./_rules.ts";
import { parseTrustDomain, TrustDomain } from "./trust_domain.ts";

/** A validated SPIFFE ID: `spiffe://<trustDomain><path>`. */
export class SpiffeId {
  /** The trust domain (authority). */
  readonly trustDomain: TrustDomain;
  /** `""` for the trust domain's own ID, else `/seg(/seg)*`. */
  readonly path: string;

  /** @internal use {@link parseSpiffeId}; parts must already be valid. */
  constructor(trustDomain: TrustDomain, path: string) {
    this.trustDomain = trustDomain;
    this.path = path;
  }

  /** True when both are the same ID. */
  equals(other: SpiffeId): boolean {
    return this.trustDomain.equals(other.trustDomain) &&
      this.path === other.path;
  }

  /** The ID as a URI string. */
  toString(): string {
    return SCHEME_PREFIX + this.trustDomain.name + this.path;
  }

  /** The ID as a URI string, so JSON logs show a plain string. */
  toJSON(): string {
    return this.toString();
  }
}

/**
 * Parse and validate a SPIFFE ID.
 *
 * @throws {SpiffeIdError} code `SPIFFE_ID_INVALID`; `rule` names the broken
 *   rule and the message quotes the input
 * @example
 * ```ts
 * const id = parseSpiffeId("spiffe://example.org/ns/web");
 * id.trustDomain.name; // "example.org"
 * id.path;             // "/ns/web"
 * ```
 */
export function parseSpiffeId(s: string): SpiffeId {
  if (typeof s !== "string") {
    throw new TypeError(`spiffe ID must be a string, got ${typeof s}`);
  }
  const fail = (rule: SpiffeIdRule): never => {
    throw new SpiffeIdError("spiffe ID", s, rule);
  };
  if (s === "") fail("empty");
  if (byteLength(s) > MAX_ID_BYTES) fail("too_long");
  const schemeRule = checkScheme(s);
  if (schemeRule) fail(schemeRule);
  const rest = s.slice(SCHEME_PREFIX.length);
  const queryRule = checkQueryFragment(rest);
  if (queryRule) fail(queryRule);
  const slash = rest.indexOf("/");
  const name = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash);
  const tdRule = checkTrustDomainName(name);
  if (tdRule) fail(tdRule);
  const pathRule = checkPath(path);
  if (pathRule) fail(pathRule);
  return new SpiffeId(new TrustDomain(name), path);
}

/**
 * Build a SPIFFE ID from a trust domain and path segments; each segment is
 * validated on its own (so a segment containing "/" is rejected).
 *
 * @throws {SpiffeIdError} code `SPIFFE_ID_INVALID`
 * @example
 * ```ts
 * spiffeIdFromParts("example.org", "node", "pi-1").toString();
 * // "spiffe://example.org/node/pi-1"
 * ```
 */
export function spiffeIdFromParts(
  trustDomain: TrustDomain | string,
  ...segments: string[]
): SpiffeId {
  const td = typeof trustDomain === "string"
    ? parseTrustDomain(trustDomain)
    : trustDomain;
  const path = segments.map((seg) => "/" + seg).join("");
  const text = td.idString() + path;
  for (const seg of segments) {
    if (typeof seg !== "string") {
      throw new TypeError(`path segment must be a string, got ${typeof seg}`);
    }
    const broken = checkSegment(seg);
    if (broken) throw new SpiffeIdError("spiffe ID", text, broken);
  }
  if (byteLength(text) > MAX_ID_BYTES) {
    throw new SpiffeIdError("spiffe ID", text, "too_long");
  }
  return new SpiffeId(td, path);
}

/**
 * True when `id` belongs to `trustDomain` (a {@link TrustDomain}, a name or
 * a trust domain ID).
 *
 * @throws {SpiffeIdError} when `trustDomain` is a string that is not valid
 * @example
 * ```ts
 * isMemberOf(parseSpiffeId("spiffe://example.org/a"), "example.org"); // true
 * ```
 */
export function isMemberOf(
  id: SpiffeId,
  trustDomain: TrustDomain | string,
): boolean {
  const td = typeof trustDomain === "string"
    ? parseTrustDomain(trustDomain)
    : trustDomain;
  return id.trustDomain.equals(td);
}

/**
 * True when `id` is a trust domain's own ID (empty path). Such IDs may name
 * signing certificates but never an X.509-SVID leaf (X509-SVID §3), which
 * needs a non-root path.
 *
 * @example
 * ```ts
 * isRoot(parseSpiffeId("spiffe://example.org")); // true
 * ```
 */
export function isRoot(id: SpiffeId): boolean {
  return id.path === "";
}

/** Why a workload entry may not use a `/node/…` ID (see {@link isNodeId}). */
export const NODE_ID_RESERVED =
  'the path "/node/…" is reserved for node identities issued by the hub';

/**
 * Whether `id` is in the `/node/…` namespace, reserved for node identities
 * that only the hub's CA issues (`spiffe://<td>/node/<name>`). Workload
 * entries may not use it: a node's intermediate CA can sign any name in the
 * trust domain, so relying parties must never see a node ID from it.
 */
export function isNodeId(id: SpiffeId): boolean {
  return id.path === "/node" || id.path.startsWith("/node/");
}
