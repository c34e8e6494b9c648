/**
 * Vault / OpenBao PKI secrets engine as an {@link Upstream}: the CSR (key
 * generated on the device, never sent) is signed by `POST
 * /v1/<mount>/sign/<role>` with the node's SPIFFE ID as URI SAN; the Vault
 * token comes from a file and is re-read whenever that file is replaced.
 * Token renewal (renew-self at 2/3 of its TTL) is in `vault_token.ts`.
 * Facts: `../shared/reference/external-pki.md`.
 *
 * @example
 * ```ts
 * const vault = createVaultUpstream({ address: "https://vault:8200", mount: "pki", role: "edge-node",
 *   tokenFile: "/run/vault/token", ttlMs: 86_400_000, nodeName: "pi-1", trustDomain: "example.org" });
 * ```
 * @module
 */
import type { Clock } from "../../clock.ts";
import { EdgeError } from "../../errors.ts";
import { type Logger, nullLogger } from "../../log/mod.ts";
import {
  type Certificate,
  createCsr,
  encodeCsrPem,
  parseCertificateChain,
} from "../../pki/mod.ts";
import { makeIdentity } from "../state.ts";
import { httpsRequest } from "../../net/https_client.ts";
import { vaultStatusError } from "./_vault_errors.ts";
import type { Upstream } from "./upstream.ts";
import { VaultToken } from "./vault_token.ts";

/** Options of {@link createVaultUpstream} (config `vault.*`). */
export interface VaultUpstreamOptions {
  /** Vault address, e.g. `https://vault.example:8200`. */
  address: string;
  /** PKI mount. @default "pki" */
  mount: string;
  /** PKI role. */
  role: string;
  /** File holding the Vault token (re-read when replaced). */
  tokenFile: string;
  /** Requested certificate lifetime (ms). */
  ttlMs: number;
  /** CA bundle (PEM file) for Vault's TLS; system roots when absent. */
  caFile?: string;
  /** This node's name (common_name). */
  nodeName: string;
  /** Trust domain of the node's SPIFFE ID (URI SAN). */
  trustDomain: string;
  /** @default 15000 */
  timeoutMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default nullLogger */
  logger?: Logger;
}

function isSelfSigned(c: Certificate): boolean {
  return c.subject === c.issuer;
}

/** Vault's PKI engine as an {@link Upstream}, plus its token's status. */
export interface VaultUpstream extends Upstream {
  /** The token holder (file reading and renew-self). */
  readonly token: VaultToken;
}

/** Create the Vault upstream. */
export function createVaultUpstream(
  options: VaultUpstreamOptions,
): VaultUpstream {
  const log = options.logger ?? nullLogger;
  const base = options.address.replace(/\/+$/, "");
  const where = `Vault at ${base}`;
  const spiffeId = `spiffe://${options.trustDomain}/node/${options.nodeName}`;
  const signPath = `${options.mount}/sign/${options.role}`;
  let caPem: Promise<string | undefined> | undefined;
  const ca = () =>
    caPem ??= options.caFile === undefined
      ? Promise.resolve(undefined)
      : Deno.readTextFile(options.caFile);
  const request = async (
    method: "GET" | "POST",
    path: string,
    token: string,
    body?: unknown,
  ) =>
    await httpsRequest({
      url: `${base}/v1/${path}`,
      method,
      headers: { "X-Vault-Token": token, "Content-Type": "application/json" },
      body: body === undefined
        ? undefined
        : new TextEncoder().encode(JSON.stringify(body)),
      ca: await ca(),
      timeoutMs: options.timeoutMs,
      what: "Vault",
    });
  const token = new VaultToken({
    tokenFile: options.tokenFile,
    request,
    where,
    clock: options.clock,
    logger: log,
  });

  const sign = async (keys: CryptoKeyPair) => {
    const csr = await createCsr({
      keys,
      subject: { CN: options.nodeName },
      uris: [spiffeId],
    });
    const res = await request("POST", signPath, await token.get(), {
      csr: encodeCsrPem(csr),
      common_name: options.nodeName,
      uri_sans: spiffeId,
      ttl: `${Math.round(options.ttlMs / 1000)}s`,
      format: "pem",
    });
    if (res.status !== 200) {
      throw vaultStatusError(res, where, {
        role: options.role,
        tokenFile: options.tokenFile,
        path: `update on ${signPath}`,
      });
    }
    let leaf: Certificate[];
    let cas: Certificate[];
    try {
      const data = JSON.parse(new TextDecoder().decode(res.body)).data;
      leaf = parseCertificateChain(String(data.certificate));
      const chainPem: string[] =
        Array.isArray(data.ca_chain) && data.ca_chain.length > 0
          ? data.ca_chain.map(String)
          : [String(data.issuing_ca)];
      cas = chainPem.flatMap((p) => parseCertificateChain(p));
    } catch (cause) {
      throw new EdgeError(
        "UPSTREAM_BAD_RESPONSE",
        `${where}: the sign response has no usable data.certificate / ca_chain`,
        { cause },
      );
    }
    if (!leaf[0].uris.includes(spiffeId)) {
      throw new EdgeError(
        "UPSTREAM_BAD_RESPONSE",
        `${where}: the signed certificate lacks the URI SAN ${spiffeId}`,
      );
    }
    const intermediates = cas.filter((c) => !isSelfSigned(c));
    const roots = cas.filter(isSelfSigned);
    return await makeIdentity(
      keys,
      [leaf[0], ...intermediates],
      roots.length > 0 ? roots : [cas[cas.length - 1]],
      "vault",
    );
  };

  return {
    kind: "vault",
    endpoint: base,
    needsJoinToken: false,
    token,
    enroll: (req) => sign(req.keys),
    renew: (req) => sign(req.keys),
    start: (signal) => void token.keepRenewed(signal),
  };
}
