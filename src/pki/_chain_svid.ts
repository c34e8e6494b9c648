/**
 * X509-SVID leaf rules (SPIFFE X509-SVID §4.1, §4.3, §5): exactly one URI
 * SAN, a `spiffe://` ID with a path in the expected trust domain, not a CA,
 * keyUsage with digitalSignature and without keyCertSign/cRLSign. Only the
 * scheme/host/path shape is checked here; full ID syntax lives in
 * `src/spiffeid/`. Internal to `chain.ts`.
 * @module
 */
import { fail } from "./_chain_error.ts";
import { subjectAltNames } from "./_chain_names.ts";
import { ia5Text } from "./_general_names.ts";
import { x509 } from "./_x509.ts";

/**
 * Check `chain[0]` against the X509-SVID leaf rules and return its SPIFFE
 * ID. `trustDomain` (e.g. `example.org`) is compared when given.
 */
export function checkSvidLeaf(
  chain: x509.X509Certificate[],
  trustDomain?: string,
): string {
  const leaf = chain[0];
  const uris = subjectAltNames(leaf).filter((n) => n.kind === "uri").map((n) =>
    ia5Text(n.bytes)
  );
  if (uris.length !== 1) {
    fail(
      "spiffe_id",
      chain,
      0,
      `must have exactly one URI SAN (X509-SVID §4.1) but has ${uris.length}`,
    );
  }
  const id = uris[0];
  const m = /^spiffe:\/\/([^/?#:@]+)(\/[^?#]*)?$/.exec(id);
  if (!m) {
    fail(
      "spiffe_id",
      chain,
      0,
      `has URI SAN ${
        JSON.stringify(id)
      }, expected spiffe://<trust-domain>/<path>`,
    );
  }
  if (!m[2] || m[2] === "/") {
    fail(
      "spiffe_id",
      chain,
      0,
      `has SPIFFE ID ${
        JSON.stringify(id)
      } without a path; leaf SVIDs need one (X509-SVID §4.1)`,
    );
  }
  const td = trustDomain?.replace(/^spiffe:\/\//, "");
  if (td !== undefined && m[1] !== td) {
    fail(
      "spiffe_id",
      chain,
      0,
      `has SPIFFE ID ${JSON.stringify(id)} in trust domain ${
        JSON.stringify(m[1])
      }, expected ${JSON.stringify(td)}`,
    );
  }
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca) {
    fail(
      "leaf_is_ca",
      chain,
      0,
      "is an SVID leaf but has cA=true (X509-SVID §4.3)",
    );
  }
  const ku = leaf.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  const F = x509.KeyUsageFlags;
  if (!(ku & F.digitalSignature) || ku & (F.keyCertSign | F.cRLSign)) {
    fail(
      "key_usage",
      chain,
      0,
      "is an SVID leaf and needs keyUsage digitalSignature without keyCertSign or cRLSign (X509-SVID §4.3)",
    );
  }
  return id;
}
