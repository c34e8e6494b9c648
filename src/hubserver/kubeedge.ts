/**
 * KubeEdge enrollment wire rules, pure: the `ExtKeyUsages` header, the CSR
 * subject edgecore sends, and the node's SPIFFE ID.
 * See `docs/hub.md` and the KubeEdge notes in the shared reference.
 * @module
 */
import { EdgeError } from "../errors.ts";
import type { CertificateRequest, ExtKeyUsageName } from "../pki/mod.ts";

/** Go `x509.ExtKeyUsage` numbers we issue: ServerAuth = 1, ClientAuth = 2. */
const GO_EKU: Record<number, ExtKeyUsageName> = {
  1: "serverAuth",
  2: "clientAuth",
};

/** Organization of node certificates (CSR subject `O`). */
export const NODE_ORGANIZATION = "system:nodes";

/**
 * Parse the `ExtKeyUsages` header: a JSON array of Go ExtKeyUsage numbers;
 * absent or empty → `["clientAuth"]`. Throws `HUB_BAD_REQUEST`.
 */
export function parseExtKeyUsagesHeader(
  raw: string | undefined | null,
): ExtKeyUsageName[] {
  if (raw === undefined || raw === null || raw.trim() === "") {
    return ["clientAuth"];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    throw new EdgeError(
      "HUB_BAD_REQUEST",
      `ExtKeyUsages header: expected a JSON array like [2,1], got ${
        JSON.stringify(raw.slice(0, 40))
      }`,
    );
  }
  const out = new Set<ExtKeyUsageName>();
  for (const n of parsed) {
    const name = typeof n === "number" ? GO_EKU[n] : undefined;
    if (!name) {
      throw new EdgeError(
        "HUB_BAD_REQUEST",
        `ExtKeyUsages header: unsupported usage ${
          JSON.stringify(n)
        } (expected 1 = ServerAuth or 2 = ClientAuth)`,
      );
    }
    out.add(name);
  }
  return out.size === 0 ? ["clientAuth"] : [...out];
}

/** Throw `HUB_BAD_REQUEST` unless the CSR subject is `O=system:nodes, CN=system:node:<node>`. */
export function checkNodeCsrSubject(
  csr: CertificateRequest,
  node: string,
): void {
  const want = `system:node:${node}`;
  if (
    csr.commonName !== want || csr.organizations.length !== 1 ||
    csr.organizations[0] !== NODE_ORGANIZATION
  ) {
    throw new EdgeError(
      "HUB_BAD_REQUEST",
      `CSR subject: expected "O=${NODE_ORGANIZATION}, CN=${want}", got "${csr.subject}"`,
    );
  }
}

/** `spiffe://<trustDomain>/node/<node>`. */
export function nodeSpiffeId(trustDomain: string, node: string): string {
  return `spiffe://${trustDomain}/node/${node}`;
}

/** The node name in a node SPIFFE ID of `trustDomain`, or undefined. */
export function nodeFromSpiffeId(
  trustDomain: string,
  uri: string,
): string | undefined {
  const prefix = `spiffe://${trustDomain}/node/`;
  if (!uri.startsWith(prefix)) return undefined;
  const name = uri.slice(prefix.length);
  return name.includes("/") || name === "" ? undefined : name;
}
