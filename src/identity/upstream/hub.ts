/**
 * Client of the KubeEdge enrollment protocol (cloudcore port 10002, and our
 * own hub): `GET /ca.crt` without TLS verification, pinned by the join
 * token's CA hash; `GET /edge.crt` with the DER CSR as the body, authorized
 * by `Bearer <jwt>` (first enrollment) or by the current certificate over
 * mTLS (renewal). Facts: `../shared/reference/kubeedge.md`.
 *
 * @example
 * ```ts
 * const hub = createHubUpstream({ server: "https://hub:10002", nodeName: "pi-1" });
 * const id = await hub.enroll({ keys: await generateKeyPair(), token });
 * ```
 * @module
 */
import { EdgeError } from "../../errors.ts";
import {
  caHash,
  type Certificate,
  createCsr,
  encodeCertificateChainPem,
  encodePrivateKeyPkcs8Pem,
  parseCertificateChain,
  parseCertificateChainDer,
  parseCertificateDer,
  verifyCertificateSignature,
} from "../../pki/mod.ts";
import { makeIdentity, type NodeIdentity } from "../state.ts";
import type { JoinToken } from "../token.ts";
import {
  bodyText,
  httpsRequest,
  type HttpsResponse,
} from "../../net/https_client.ts";
import type { EnrollRequest, RenewRequest, Upstream } from "./upstream.ts";

/** Options of {@link createHubUpstream}. */
export interface HubUpstreamOptions {
  /** Enrollment endpoint, e.g. `https://hub.example:10002` (config hub.httpServer). */
  server: string;
  /** This node's name (`NodeName` header, CSR CN `system:node:<name>`). */
  nodeName: string;
  /** Per-request timeout. @default 15000 */
  timeoutMs?: number;
}

/** CSR subject edgecore sends (kept for compatibility with cloudcore). */
export function hubCsrSubject(nodeName: string) {
  return { O: "system:nodes", CN: `system:node:${nodeName}` };
}

/**
 * Fetch `/ca.crt` without TLS verification and accept it only when the
 * SHA-256 of its DER equals the token's CA hash (`TOKEN_CA_HASH_MISMATCH`
 * with both hashes otherwise).
 */
export async function fetchPinnedCa(
  server: string,
  token: JoinToken,
  timeoutMs?: number,
): Promise<Certificate> {
  const res = await httpsRequest({
    url: new URL("/ca.crt", server).href,
    insecure: true, // as upstream: only the token's hash protects the CA
    timeoutMs,
    what: "hub",
  });
  if (res.status !== 200) throw statusError(res, "CA fetch (GET /ca.crt)");
  const got = await caHash(res.body);
  if (got !== token.caHash) {
    throw new EdgeError(
      "TOKEN_CA_HASH_MISMATCH",
      `hub CA at ${server} does not match the join token: the token expects ` +
        `CA hash ${token.caHash}, the hub served a CA with hash ${got}; ` +
        `check hub.httpServer and the token`,
    );
  }
  try {
    return parseCertificateDer(res.body);
  } catch (cause) {
    throw new EdgeError(
      "UPSTREAM_BAD_RESPONSE",
      `hub at ${server}: /ca.crt is not a DER certificate`,
      { cause },
    );
  }
}

/** Map a non-200 enrollment response to an error with the hub's plain-text reason. */
function statusError(res: HttpsResponse, what: string): EdgeError {
  const reason = bodyText(res) || "(no reason given)";
  const msg = `hub ${what} failed with HTTP ${res.status}: ${reason}`;
  if (res.status === 401 || res.status === 403) {
    return new EdgeError("UPSTREAM_REFUSED", msg);
  }
  if (res.status >= 400 && res.status < 500 && res.status !== 429) {
    return new EdgeError("UPSTREAM_REJECTED", msg);
  }
  return new EdgeError("UPSTREAM_UNAVAILABLE", msg);
}

function parseIssued(res: HttpsResponse, server: string): Certificate[] {
  try {
    const text = new TextDecoder().decode(res.body.subarray(0, 11));
    return text.startsWith("-----BEGIN")
      ? parseCertificateChain(new TextDecoder().decode(res.body))
      : parseCertificateChainDer(res.body);
  } catch (cause) {
    throw new EdgeError(
      "UPSTREAM_BAD_RESPONSE",
      `hub at ${server}: /edge.crt did not return a certificate`,
      { cause },
    );
  }
}

/** The hub (KubeEdge protocol) as an {@link Upstream}. */
export function createHubUpstream(options: HubUpstreamOptions): Upstream {
  const { server, nodeName, timeoutMs } = options;
  const edgeCrt = new URL("/edge.crt", server).href;

  const request = async (
    keys: CryptoKeyPair,
    ca: Certificate[],
    auth: { bearer: string } | { current: NodeIdentity },
  ): Promise<NodeIdentity> => {
    const csr = await createCsr({ keys, subject: hubCsrSubject(nodeName) });
    const headers: Record<string, string> = {
      NodeName: nodeName,
      ExtKeyUsages: "[2,1]",
      "Content-Type": "application/octet-stream",
    };
    let tls: { cert?: string; key?: string } = {};
    if ("bearer" in auth) headers.Authorization = `Bearer ${auth.bearer}`;
    else {
      tls = {
        cert: encodeCertificateChainPem(auth.current.chain),
        key: await encodePrivateKeyPkcs8Pem(auth.current.keys.privateKey),
      };
    }
    const res = await httpsRequest({
      url: edgeCrt,
      method: "GET", // KubeEdge: GET with the CSR as body
      headers,
      body: csr,
      ca: encodeCertificateChainPem(ca),
      ...tls,
      timeoutMs,
      what: "hub",
    });
    const what = "bearer" in auth
      ? "enrollment (GET /edge.crt)"
      : "renewal (GET /edge.crt)";
    if (res.status !== 200) throw statusError(res, what);
    const chain = parseIssued(res, server);
    const signedByCa = await Promise.all(
      ca.map((c) => verifyCertificateSignature(chain[chain.length - 1], c)),
    );
    if (!signedByCa.some(Boolean)) {
      throw new EdgeError(
        "UPSTREAM_BAD_RESPONSE",
        `hub at ${server}: the issued certificate is not signed by the hub CA`,
      );
    }
    return await makeIdentity(keys, chain, ca, "hub");
  };

  return {
    kind: "hub",
    endpoint: server,
    needsJoinToken: true,
    async enroll(req: EnrollRequest) {
      if (!req.token) {
        throw new EdgeError(
          "IDENTITY_MISSING",
          "hub enrollment needs a join token (identity.token or identity.tokenFile)",
        );
      }
      const ca = await fetchPinnedCa(server, req.token, timeoutMs);
      return await request(req.keys, [ca], { bearer: req.token.jwt });
    },
    renew(req: RenewRequest) {
      return request(req.keys, req.current.caBundle, { current: req.current });
    },
  };
}
