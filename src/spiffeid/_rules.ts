/**
 * The SPIFFE ID syntax rules (SPIFFE-ID §2.1 trust domain, §2.2 path, §2.3
 * maximum length) as pure checks returning the broken rule or `undefined`.
 * @module
 */
import type { SpiffeIdRule } from "./error.ts";

/** Maximum bytes of a trust domain name (SPIFFE-ID §2.1). */
export const MAX_TRUST_DOMAIN_BYTES = 255;
/** Maximum bytes of a whole SPIFFE ID (SPIFFE-ID §2.3). */
export const MAX_ID_BYTES = 2048;
/** The only accepted scheme prefix. */
export const SCHEME_PREFIX = "spiffe://";

const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARS = /^[a-zA-Z0-9._-]+$/;
const encoder = new TextEncoder();

/** Length of `s` in UTF-8 bytes. */
export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/** Check the scheme and authority marker; `s` is non-empty. */
export function checkScheme(s: string): SpiffeIdRule | undefined {
  if (s.startsWith(SCHEME_PREFIX)) return undefined;
  if (s.startsWith("spiffe:")) return "authority";
  return "scheme";
}

/** Report a query or fragment marker, whichever comes first. */
export function checkQueryFragment(s: string): SpiffeIdRule | undefined {
  const q = s.indexOf("?");
  const f = s.indexOf("#");
  if (q < 0 && f < 0) return undefined;
  if (f < 0 || (q >= 0 && q < f)) return "query";
  return "fragment";
}

/** Check a trust domain name (no scheme, no path). */
export function checkTrustDomainName(name: string): SpiffeIdRule | undefined {
  if (name === "") return "trust_domain_missing";
  if (name.includes("@")) return "userinfo";
  if (name.includes(":")) return "port";
  if (name.includes("%")) return "percent_encoding";
  if (!TRUST_DOMAIN_CHARS.test(name)) return "trust_domain_chars";
  if (byteLength(name) > MAX_TRUST_DOMAIN_BYTES) return "trust_domain_too_long";
  return undefined;
}

/** Check one path segment (text between two slashes). */
export function checkSegment(segment: string): SpiffeIdRule | undefined {
  if (segment === "") return "path_empty_segment";
  if (segment === "." || segment === "..") return "path_dot_segment";
  if (segment.includes("%")) return "percent_encoding";
  if (!SEGMENT_CHARS.test(segment)) return "path_segment_chars";
  return undefined;
}

/** Check a path: empty, or `/seg(/seg)*` without a trailing slash. */
export function checkPath(path: string): SpiffeIdRule | undefined {
  if (path === "") return undefined;
  const segments = path.slice(1).split("/");
  for (let i = 0; i < segments.length; i++) {
    if (segments[i] === "" && i === segments.length - 1) {
      return "path_trailing_slash";
    }
    const broken = checkSegment(segments[i]);
    if (broken) return broken;
  }
  return undefined;
}
