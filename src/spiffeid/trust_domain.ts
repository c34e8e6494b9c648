/**
 * Trust domains: {@link TrustDomain} and {@link parseTrustDomain}.
 * @module
 */
import { SpiffeIdError } from "./error.ts";
import {
  byteLength,
  checkQueryFragment,
  checkScheme,
  checkTrustDomainName,
  MAX_ID_BYTES,
  SCHEME_PREFIX,
} from "./_rules.ts";

/** A validated trust domain name such as `example.org` (SPIFFE-ID §2.1). */
export class TrustDomain {
  /** The name, e.g. `example.org`. */
  readonly name: string;

  /** @internal use {@link parseTrustDomain}; `name` must already be valid. */
  constructor(name: string) {
    this.name = name;
  }

  /** The trust domain's SPIFFE ID, e.g. `spiffe://example.org`. */
  idString(): string {
    return SCHEME_PREFIX + this.name;
  }

  /** True when both name the same trust domain. */
  equals(other: TrustDomain): boolean {
    return this.name === other.name;
  }

  /** The name, e.g. `example.org`. */
  toString(): string {
    return this.name;
  }

  /** The name, so JSON logs show a plain string. */
  toJSON(): string {
    return this.name;
  }
}

/**
 * Parse a trust domain given as a name (`example.org`) or as its SPIFFE ID
 * (`spiffe://example.org`). Unlike go-spiffe, an ID with a path is rejected
 * (rule `trust_domain_has_path`) rather than silently truncated.
 *
 * @throws {SpiffeIdError} code `SPIFFE_ID_INVALID`, naming the broken rule
 * @example
 * ```ts
 * parseTrustDomain("spiffe://example.org").name; // "example.org"
 * ```
 */
export function parseTrustDomain(s: string): TrustDomain {
  if (typeof s !== "string") {
    throw new TypeError(`trust domain must be a string, got ${typeof s}`);
  }
  if (s === "") throw new SpiffeIdError("trust domain", s, "empty");
  const isId = s.includes("://") || s.toLowerCase().startsWith("spiffe:");
  let name = s;
  if (isId) {
    const broken = byteLength(s) > MAX_ID_BYTES ? "too_long" : checkScheme(s) ??
      checkQueryFragment(s.slice(SCHEME_PREFIX.length));
    if (broken) throw new SpiffeIdError("trust domain", s, broken);
    name = s.slice(SCHEME_PREFIX.length);
    const slash = name.indexOf("/");
    if (slash >= 0) {
      const tdRule = checkTrustDomainName(name.slice(0, slash));
      throw new SpiffeIdError(
        "trust domain",
        s,
        tdRule ?? "trust_domain_has_path",
      );
    }
  }
  const broken = checkTrustDomainName(name);
  if (broken) throw new SpiffeIdError("trust domain", s, broken);
  return new TrustDomain(name);
}
