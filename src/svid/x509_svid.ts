/**
 * Issue a workload X509-SVID from the node intermediate (X509-SVID §4):
 * fresh P-256 key, one URI SAN, leaf profile with serverAuth + clientAuth,
 * chain = leaf + node CA (+ any upstream intermediates), NotAfter capped at
 * the intermediate's.
 *
 * @example
 * ```ts
 * const svid = await issueX509Svid({ intermediate, spiffeId: "spiffe://example.org/app", ttlMs: 3_600_000 });
 * svid.certificates[0].uris; // ["spiffe://example.org/app"]
 * ```
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import {
  type Certificate,
  issueCertificate,
  P256PrivateKey,
} from "../pki/mod.ts";
import { type Random, secureRandom } from "../random.ts";
import type { X509Bundle } from "../bundle/mod.ts";
import type { NodeIntermediate } from "./intermediate.ts";
import { rotationTime } from "./schedule.ts";

/** An X509-SVID with its key. */
export interface X509Svid {
  /** The SPIFFE ID (the leaf's only URI SAN). */
  spiffeId: string;
  /** Leaf first, then the node CA and any upstream intermediates (no root). */
  certificates: readonly Certificate[];
  /** The leaf's private key as PKCS#8 DER (what the Workload API sends). */
  privateKeyDer: Uint8Array;
  /** Trust bundle of its trust domain at issuance. */
  bundle: X509Bundle;
  /** When it was issued (ms). */
  issuedAt: number;
  /** NotAfter of the leaf (ms). */
  notAfter: number;
  /** When it should be replaced (half-life ± jitter, ms). */
  rotateAt: number;
}

/** Options of {@link issueX509Svid}. */
export interface IssueX509SvidOptions {
  /** Signing node intermediate. */
  intermediate: NodeIntermediate;
  /** SPIFFE ID to certify (validated by the issuance profile). */
  spiffeId: string;
  /** Requested lifetime; capped at the intermediate's NotAfter. */
  ttlMs: number;
  /** Extra DNS SANs. @default [] */
  dnsNames?: readonly string[];
  /** @default systemClock */
  clock?: Clock;
  /** Serials and rotation jitter. @default secureRandom */
  random?: Random;
}

/**
 * Issue one X509-SVID. Throws `SVID_UNAVAILABLE` when the intermediate has
 * expired, `CERT_INVALID` when the ID or names are refused.
 */
export async function issueX509Svid(
  options: IssueX509SvidOptions,
): Promise<X509Svid> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? secureRandom;
  const { intermediate } = options;
  const now = clock.now();
  if (now >= intermediate.cert.notAfter.getTime()) {
    throw new EdgeError(
      "SVID_UNAVAILABLE",
      `node intermediate expired at ${intermediate.cert.notAfter.toISOString()}; cannot issue ${options.spiffeId}`,
    );
  }
  // The leaf key never becomes a CryptoKey: only its PKCS#8 is handed out.
  const key = await P256PrivateKey.generate();
  let leaf: Certificate;
  let privateKeyDer: Uint8Array;
  try {
    leaf = await issueCertificate({
      issuer: intermediate,
      subjectPublicKey: key.encodeSpkiDer(),
      profile: "leaf",
      uris: [options.spiffeId],
      dnsNames: options.dnsNames ?? [],
      extKeyUsages: ["serverAuth", "clientAuth"],
      ttlMs: options.ttlMs,
      clock,
      random,
    });
    privateKeyDer = key.encodePkcs8Der();
  } finally {
    key.destroy();
  }
  const notAfter = leaf.notAfter.getTime();
  return {
    spiffeId: options.spiffeId,
    certificates: [
      leaf,
      intermediate.cert,
      ...(intermediate.upstreamChain ?? []),
    ],
    privateKeyDer,
    bundle: intermediate.bundle,
    issuedAt: now,
    notAfter,
    rotateAt: rotationTime(now, notAfter, random.float()),
  };
}
