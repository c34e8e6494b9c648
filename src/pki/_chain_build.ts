/**
 * Path building: from the leaf, find issuers by name (and AKI/SKI when both
 * are present), trusted roots first, then intermediates; no certificate
 * twice in a path, at most {@link MAX_CHAIN_LENGTH} certificates.
 * Internal to `chain.ts`.
 * @module
 */
import { bytesEqual } from "../bytes.ts";
import { ChainError } from "./_chain_error.ts";
import { isSelfIssued } from "./_chain_rules.ts";
import { MAX_CHAIN_LENGTH } from "./_chain_limits.ts";
import { nameRef } from "./_chain_rules.ts";
import { sameName } from "./_name.ts";
import { x509 } from "./_x509.ts";

/** At most this many candidate paths are tried before giving up. */
const MAX_PATHS = 16;

/** Bound on the search itself, against adversarial pools of look-alikes. */
const MAX_STEPS = 1000;

function sameCert(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return a === b ||
    bytesEqual(new Uint8Array(a.rawData), new Uint8Array(b.rawData));
}

function keyIdMatches(
  cert: x509.X509Certificate,
  issuer: x509.X509Certificate,
): boolean {
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return !aki || !ski || aki.toLowerCase() === ski.toLowerCase();
}

function issuersIn(
  cert: x509.X509Certificate,
  pool: readonly x509.X509Certificate[],
): x509.X509Certificate[] {
  return pool.filter((c) =>
    sameName(nameRef(c.subjectName), nameRef(cert.issuerName)) &&
    keyIdMatches(cert, c)
  );
}

/**
 * Candidate paths from `leaf` to a certificate in `roots`, most preferred
 * first. Throws `untrusted` when none exists.
 */
export function buildPaths(
  leaf: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  roots: readonly x509.X509Certificate[],
): x509.X509Certificate[][] {
  if (roots.some((r) => sameCert(r, leaf))) return [[leaf]];
  const found: x509.X509Certificate[][] = [];
  let deepest: x509.X509Certificate[] = [leaf];
  let steps = 0;
  let tooLong = false;
  let looped = false;
  const walk = (path: x509.X509Certificate[]): void => {
    if (found.length >= MAX_PATHS || ++steps > MAX_STEPS) return;
    if (path.length > deepest.length) deepest = path;
    const cur = path[path.length - 1];
    for (const root of issuersIn(cur, roots)) {
      if (!path.some((p) => sameCert(p, root))) found.push([...path, root]);
    }
    for (const next of issuersIn(cur, intermediates)) {
      if (path.some((p) => sameCert(p, next))) looped = true;
      else if (path.length + 1 >= MAX_CHAIN_LENGTH) tooLong = true;
      else walk([...path, next]);
    }
  };
  walk([leaf]);
  if (found.length > 0) return found;
  const last = deepest[deepest.length - 1];
  const depth = deepest.length - 1;
  const at = { depth, subject: last.subject };
  const who = `Certificate at depth ${depth} (subject ${
    JSON.stringify(last.subject)
  })`;
  if (isSelfIssued(last)) {
    throw new ChainError(
      "untrusted",
      `${who} is self-signed but is not one of the ${roots.length} trusted root(s)`,
      at,
    );
  }
  throw new ChainError(
    "untrusted",
    `${who} was issued by ${
      JSON.stringify(last.issuer)
    }, which is neither among the intermediates nor the ${roots.length} trusted root(s)${
      tooLong ? ` (path longer than ${MAX_CHAIN_LENGTH} certificates)` : ""
    }${looped ? " (issuer loop)" : ""}`,
    at,
  );
}
