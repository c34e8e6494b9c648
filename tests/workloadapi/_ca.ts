/**
 * A local test CA standing in for the hub: root → node intermediates (CA,
 * pathLen 0, URI name constraint = the trust domain), as the hub's
 * `POST /node-ca` would sign them.
 */
import {
  type X509Bundle,
  x509BundleFromCertificates,
} from "../../src/bundle/mod.ts";
import {
  type CertificateIssuer,
  createSelfSignedCa,
  generateKeyPair,
  issueCertificate,
} from "../../src/pki/mod.ts";
import type { NodeIntermediate } from "../../src/svid/mod.ts";
import type { Clock } from "../../src/clock.ts";

/** A test trust domain root that signs node intermediates. */
export interface TestCa {
  root: CertificateIssuer;
  bundle: X509Bundle;
  /** A fresh node intermediate under the root. */
  intermediate(ttlMs?: number): Promise<NodeIntermediate>;
}

/** Create a root for `td`. */
export async function createTestCa(td: string, clock?: Clock): Promise<TestCa> {
  const root = await createSelfSignedCa({
    subject: { CN: "Test Hub Root", O: "edge-runtime tests" },
    uris: [`spiffe://${td}`],
    ttlMs: 30 * 86_400_000,
    clock,
  });
  const bundle = x509BundleFromCertificates(td, [root.cert]);
  return {
    root,
    bundle,
    async intermediate(ttlMs = 7 * 86_400_000) {
      const keys = await generateKeyPair();
      const cert = await issueCertificate({
        issuer: root,
        subjectPublicKey: keys.publicKey,
        profile: "ca",
        subject: { CN: "Node CA pi-1", O: "edge-runtime tests" },
        uris: [`spiffe://${td}`],
        ttlMs,
        pathLength: 0,
        permittedUriDomains: [td],
        clock,
      });
      return { cert, keys, bundle };
    },
  };
}
