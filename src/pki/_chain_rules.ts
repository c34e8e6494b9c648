/**
 * The RFC 5280 §6.1 checks run on one built path (leaf first, trust anchor
 * last), in the order OpenSSL 3 reports them: extensions (critical, cA,
 * keyUsage, pathLen, purpose), then name constraints, then signatures and
 * validity from the anchor down. Internal to `chain.ts`.
 * @module
 */
import { fail } from "./_chain_error.ts";
import { nameConstraintsOf, nameConstraintViolation } from "./_chain_names.ts";
import { OID } from "./_der.ts";
import { EKU_OIDS } from "./_extensions.ts";
import { type NameRef, sameName } from "./_name.ts";
import { x509 } from "./_x509.ts";

/** Purposes a chain can be checked for (OpenSSL `sslclient`/`sslserver`). */
export type ChainPurpose = "clientAuth" | "serverAuth" | "any";

/** Inputs of {@link checkPath}. */
export interface PathRules {
  /** Verification time (ms since epoch). */
  at: number;
  /** Allowed clock skew on both ends of each validity window (ms). */
  skewMs: number;
  purpose: ChainPurpose;
}

/** Leaf keyUsage bits OpenSSL accepts per purpose (any one suffices). */
const KU = x509.KeyUsageFlags;
const LEAF_KU: Record<ChainPurpose, number> = {
  clientAuth: KU.digitalSignature | KU.keyAgreement,
  serverAuth: KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement,
  any: KU.digitalSignature | KU.keyEncipherment | KU.keyAgreement,
};

/**
 * Extensions understood here (or, for the policy ones, accepted unprocessed
 * as OpenSSL does); any other critical extension rejects the certificate.
 */
const KNOWN_CRITICAL = new Set([
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.nameConstraints,
  OID.extKeyUsage,
  "2.5.29.32", // certificatePolicies
  "2.5.29.33", // policyMappings
  "2.5.29.36", // policyConstraints
  "2.5.29.54", // inhibitAnyPolicy
]);

function basicConstraints(c: x509.X509Certificate) {
  return c.getExtension(x509.BasicConstraintsExtension);
}

function keyUsage(c: x509.X509Certificate) {
  return c.getExtension(x509.KeyUsagesExtension);
}

/** A library Name as our name helpers take it (DER and library text). */
export function nameRef(n: x509.Name): NameRef {
  return { der: new Uint8Array(n.toArrayBuffer()), text: n.toString() };
}

/** True when subject and issuer names are the same (RFC 5280 "self-issued"). */
export function isSelfIssued(c: x509.X509Certificate): boolean {
  return sameName(nameRef(c.subjectName), nameRef(c.issuerName));
}

function checkExtensions(
  chain: x509.X509Certificate[],
  purpose: ChainPurpose,
): void {
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i];
    const unknown = c.extensions.find((e) =>
      e.critical && !KNOWN_CRITICAL.has(e.type)
    );
    if (unknown) {
      fail(
        "unhandled_critical_extension",
        chain,
        i,
        `has an unsupported critical extension ${unknown.type} (RFC 5280 §4.2)`,
      );
    }
    const ku = keyUsage(c);
    if (i > 0) {
      if (!basicConstraints(c)?.ca) {
        fail(
          "not_ca",
          chain,
          i,
          "issues certificates but is not a CA: basicConstraints cA must be true (RFC 5280 §4.2.1.9)",
        );
      }
      if (ku && !(ku.usages & KU.keyCertSign)) {
        fail(
          "key_usage",
          chain,
          i,
          "issues certificates but its keyUsage lacks keyCertSign (RFC 5280 §4.2.1.3)",
        );
      }
      const max = basicConstraints(c)?.pathLength;
      const below = chain.slice(1, i).filter((x) => !isSelfIssued(x)).length;
      if (max !== undefined && below > max) {
        fail(
          "path_len_exceeded",
          chain,
          i,
          `allows at most ${max} intermediate CA(s) below it (pathLenConstraint) but ${below} follow (RFC 5280 §4.2.1.9)`,
        );
      }
    } else if (ku && !(ku.usages & LEAF_KU[purpose])) {
      fail(
        "key_usage",
        chain,
        0,
        `has a keyUsage that does not allow ${
          purpose === "any" ? "TLS use" : purpose
        } (need digitalSignature${
          purpose === "clientAuth"
            ? " or keyAgreement"
            : ", keyEncipherment or keyAgreement"
        })`,
      );
    }
    if (purpose !== "any") {
      const eku = c.getExtension(x509.ExtendedKeyUsageExtension);
      if (eku && !eku.usages.map(String).includes(EKU_OIDS[purpose])) {
        fail(
          "ext_key_usage",
          chain,
          i,
          `has an extendedKeyUsage without ${purpose} (found ${
            eku.usages.join(", ") || "none"
          })`,
        );
      }
    }
  }
}

function checkNameConstraints(chain: x509.X509Certificate[]): void {
  for (let j = chain.length - 1; j > 0; j--) {
    const nc = nameConstraintsOf(chain[j]);
    if (!nc) continue;
    for (let i = j - 1; i >= 0; i--) {
      // Self-issued intermediates are exempt (RFC 5280 §6.1.3 (b)).
      if (i > 0 && isSelfIssued(chain[i])) continue;
      const why = nameConstraintViolation(chain[i], i === 0, nc);
      if (why) {
        fail(
          "name_constraints",
          chain,
          i,
          `violates the name constraints of ${
            JSON.stringify(chain[j].subject)
          } (depth ${j}): ${why} (RFC 5280 §4.2.1.10)`,
        );
      }
    }
  }
}

async function signedBy(
  c: x509.X509Certificate,
  issuer: x509.X509Certificate,
): Promise<boolean> {
  try {
    return await c.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

async function checkSignaturesAndTimes(
  chain: x509.X509Certificate[],
  rules: PathRules,
): Promise<void> {
  const iso = (ms: number) => new Date(ms).toISOString();
  for (let i = chain.length - 1; i >= 0; i--) {
    const c = chain[i];
    const issuer = i + 1 < chain.length
      ? chain[i + 1]
      : isSelfIssued(c)
      ? c
      : undefined;
    if (issuer && !(await signedBy(c, issuer))) {
      fail(
        "bad_signature",
        chain,
        i,
        `has a signature that does not verify with the public key of ${
          issuer === c ? "itself" : JSON.stringify(issuer.subject)
        } (${c.signatureAlgorithm.name})`,
      );
    }
    const skew = `allowed clock skew ${rules.skewMs / 1000}s`;
    if (rules.at + rules.skewMs < c.notBefore.getTime()) {
      fail(
        "not_yet_valid",
        chain,
        i,
        `is not valid before ${iso(c.notBefore.getTime())}; now is ${
          iso(rules.at)
        } (${skew})`,
      );
    }
    if (rules.at - rules.skewMs > c.notAfter.getTime()) {
      fail(
        "expired",
        chain,
        i,
        `expired at ${iso(c.notAfter.getTime())}; now is ${
          iso(rules.at)
        } (${skew})`,
      );
    }
  }
}

/** Run every path check; throws a `ChainError` on the first failure. */
export async function checkPath(
  chain: x509.X509Certificate[],
  rules: PathRules,
): Promise<void> {
  checkExtensions(chain, rules.purpose);
  checkNameConstraints(chain);
  await checkSignaturesAndTimes(chain, rules);
}
