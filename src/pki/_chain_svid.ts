/**
 * X509-SVID leaf rules (SPIFFE X509-SVID §4.1, §4.3, §5): exactly one URI
 * SAN, a `spiffe://` ID with a path in the expected trust domain, not a CA,
 * keyUsage with digitalSignature and without keyCertSign/cRLSign. Only the
 * ID syntax is checked by `src/spiffeid/`. Internal to `chain.ts`.
 * @module
 */
import { fail } from "./_chain_error.ts";
import { subjectAltNames } from "./_chain_names.ts";
import { ia5Text } from "./_general_names.ts";
import { x509 } from "./_x509.ts";
import {
  isMemberOf,
  isRoot,
  parseSpiffeId,
  SpiffeIdError,
} from "../spiffeid/mod.ts";

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
  let parsed;
  try {
    parsed = parseSpiffeId(id);
  } catch (err) {
    if (!(err instanceof SpiffeIdError)) throw err;
    fail("spiffe_id", chain, 0, `has an invalid SPIFFE ID: ${err.message}`);
  }
  if (isRoot(parsed)) {
    fail(
      "spiffe_id",
      chain,
      0,
      `has SPIFFE ID ${
        JSON.stringify(id)
      } without a path; leaf SVIDs need one (X509-SVID §4.1)`,
    );
  }
  if (trustDomain !== undefined && !isMemberOf(parsed, trustDomain)) {
    fail(
      "spiffe_id",
      chain,
      0,
      `has SPIFFE ID ${JSON.stringify(id)} in trust domain ${
        JSON.stringify(parsed.trustDomain.name)
      }, expected ${JSON.stringify(trustDomain.replace(/^spiffe:\/\//, ""))}`,
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
