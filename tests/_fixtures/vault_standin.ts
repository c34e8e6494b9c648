/**
 * A stand-in for HashiCorp Vault / OpenBao (which cannot be installed here),
 * following the documented HTTP API shapes (`../shared/reference/external-pki.md`):
 *
 * - HTTPS (`node:https`, its own TLS CA — pass `tlsCaPem` as `vault.caFile`).
 * - Auth by `X-Vault-Token` (or `Authorization: Bearer`); a missing, unknown
 *   or expired token → 403 `{"errors":["permission denied"]}`.
 * - Sealed → 503 `{"errors":["Vault is sealed"]}` on every path.
 * - `POST /v1/<mount>/sign/<role>` `{csr, common_name, uri_sans, ttl, format}`
 *   → `{data:{certificate, issuing_ca, ca_chain, serial_number (colon hex),
 *   expiration (unix s)}}`; unknown role, bad CSR, a common name or URI SAN
 *   the role does not allow → 400 `{"errors":[…]}`. TTL capped at the role's
 *   `max_ttl` (with a warning), as Vault does.
 * - `GET /v1/auth/token/lookup-self` → `data.{ttl, expire_time, renewable, …}`;
 *   `POST /v1/auth/token/renew-self` → `auth.{client_token, lease_duration,
 *   renewable, …}`.
 * - Unknown paths → 404 `{"errors":[]}`.
 * @module
 */
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createSelfSignedCa,
  encodeCertificatePem,
  encodePrivateKeyPkcs8Pem,
  generateKeyPair,
  issueCertificate,
  parseCsr,
} from "../../src/pki/mod.ts";

/** A PKI role (subset of Vault's role fields). */
export interface VaultRole {
  /** Globs like `spiffe://example.org/node/*`. */
  allowed_uri_sans: string[];
  /** Globs for common names; `allow_any_name` skips the check. */
  allowed_domains?: string[];
  allow_any_name?: boolean;
  /** Seconds. @default 30 days */
  max_ttl?: number;
}

/** A token known to the stand-in. */
export interface VaultTokenSpec {
  /** TTL in seconds (0 = never expires, like root). */
  ttl: number;
  renewable: boolean;
  /** Whether its policy allows `update` on the sign path. @default true */
  canSign?: boolean;
}

/** A running stand-in. */
export interface VaultStandin {
  /** `https://127.0.0.1:<port>` */
  address: string;
  /** PEM of the CA that signed the stand-in's TLS certificate. */
  tlsCaPem: string;
  /** The PKI root that signs node certificates. */
  pkiRoot: Awaited<ReturnType<typeof createSelfSignedCa>>;
  roles: Map<string, VaultRole>;
  addToken(token: string, spec: VaultTokenSpec): void;
  revoke(token: string): void;
  sealed: boolean;
  counts: { signs: number; lookups: number; renewals: number; denied: number };
  /** Raw body of the last sign request. */
  lastSignBody?: string;
  close(): Promise<void>;
}

function glob(pattern: string, value: string): boolean {
  const re = new RegExp(
    "^" +
      pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*") +
      "$",
  );
  return re.test(value);
}

function parseTtl(v: unknown): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (typeof v === "number") return v;
  const m = /^(\d+)(s|m|h)?$/.exec(String(v));
  if (!m) return NaN;
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[m[2] ?? "s"] ?? 1);
}

/** Start the stand-in with PKI mount `mount` (default "pki"). */
export async function startVaultStandin(mount = "pki"): Promise<VaultStandin> {
  const tlsCa = await createSelfSignedCa({
    subject: { CN: "vault tls ca" },
    ttlMs: 86_400_000,
  });
  const tlsKeys = await generateKeyPair();
  const tlsCert = await issueCertificate({
    issuer: tlsCa,
    subjectPublicKey: tlsKeys.publicKey,
    profile: "leaf",
    subject: { CN: "vault" },
    ipAddresses: ["127.0.0.1"],
    extKeyUsages: ["serverAuth"],
    ttlMs: 86_400_000,
  });
  const pkiRoot = await createSelfSignedCa({
    subject: { CN: "Vault PKI root" },
    ttlMs: 365 * 86_400_000,
  });
  const tokens = new Map<
    string,
    VaultTokenSpec & { expiresAt: number; created: number }
  >();
  const state: VaultStandin = {
    address: "",
    tlsCaPem: encodeCertificatePem(tlsCa.cert),
    pkiRoot,
    roles: new Map(),
    sealed: false,
    counts: { signs: 0, lookups: 0, renewals: 0, denied: 0 },
    addToken(token, spec) {
      tokens.set(token, {
        ...spec,
        created: Date.now(),
        expiresAt: spec.ttl === 0 ? Infinity : Date.now() + spec.ttl * 1000,
      });
    },
    revoke: (token) => void tokens.delete(token),
    close: () => Promise.resolve(),
  };

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const errors = (res: ServerResponse, status: number, ...msgs: string[]) =>
    json(res, status, { errors: msgs });
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let s = "";
      req.setEncoding("utf8");
      req.on("data", (c) => s += c);
      req.on("end", () => resolve(s));
    });

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (state.sealed) return errors(res, 503, "Vault is sealed");
    const path = (req.url ?? "").split("?")[0];
    const header = req.headers["x-vault-token"] ??
      String(req.headers["authorization"] ?? "").replace(/^Bearer /, "");
    const token = typeof header === "string" && header !== ""
      ? tokens.get(header)
      : undefined;
    const deny =
      () => (state.counts.denied++, errors(res, 403, "permission denied"));
    if (!token || Date.now() >= token.expiresAt) return deny();
    const ttlLeft = () =>
      token.ttl === 0
        ? 0
        : Math.max(0, Math.floor((token.expiresAt - Date.now()) / 1000));

    if (path === "/v1/auth/token/lookup-self" && req.method === "GET") {
      state.counts.lookups++;
      return json(res, 200, {
        request_id: crypto.randomUUID(),
        lease_id: "",
        renewable: false,
        lease_duration: 0,
        data: {
          accessor: "standin",
          creation_time: Math.floor(token.created / 1000),
          creation_ttl: token.ttl,
          display_name: "token",
          expire_time: token.ttl === 0
            ? null
            : new Date(token.expiresAt).toISOString(),
          explicit_max_ttl: 0,
          id: header,
          policies: ["default", "edge-node"],
          renewable: token.renewable,
          ttl: ttlLeft(),
          type: "service",
        },
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    if (
      path === "/v1/auth/token/renew-self" &&
      (req.method === "POST" || req.method === "PUT")
    ) {
      if (!token.renewable) return errors(res, 400, "lease is not renewable");
      state.counts.renewals++;
      token.expiresAt = Date.now() + token.ttl * 1000;
      return json(res, 200, {
        request_id: crypto.randomUUID(),
        data: null,
        auth: {
          client_token: header,
          accessor: "standin",
          policies: ["default", "edge-node"],
          token_policies: ["default", "edge-node"],
          metadata: null,
          lease_duration: token.ttl,
          renewable: true,
          entity_id: "",
          token_type: "service",
          orphan: false,
        },
      });
    }
    const sign = new RegExp(`^/v1/${mount}/sign/([^/]+)$`).exec(path);
    if (sign && (req.method === "POST" || req.method === "PUT")) {
      if (token.canSign === false) return deny();
      const role = state.roles.get(sign[1]);
      if (!role) return errors(res, 400, `unknown role: ${sign[1]}`);
      state.lastSignBody = body;
      let p: Record<string, unknown>;
      try {
        p = JSON.parse(body);
      } catch {
        return errors(res, 400, "failed to parse JSON input");
      }
      if (typeof p.csr !== "string" || p.csr === "") {
        return errors(res, 400, '"csr" is empty');
      }
      let csr;
      try {
        csr = await parseCsr(p.csr);
      } catch {
        return errors(res, 400, "certificate request could not be parsed");
      }
      const cn = typeof p.common_name === "string" && p.common_name !== ""
        ? p.common_name
        : csr.commonName;
      if (
        cn && !role.allow_any_name &&
        !(role.allowed_domains ?? []).some((g) => glob(g, cn))
      ) {
        return errors(res, 400, `common name ${cn} not allowed by this role`);
      }
      const requested = typeof p.uri_sans === "string"
        ? p.uri_sans.split(",").map((s) => s.trim()).filter(Boolean)
        : Array.isArray(p.uri_sans)
        ? p.uri_sans.map(String)
        : [];
      const uris = [...new Set([...csr.uris, ...requested])];
      for (const u of uris) {
        if (!role.allowed_uri_sans.some((g) => glob(g, u))) {
          return errors(
            res,
            400,
            `URI Subject Alternative Name ${u} not allowed by this role`,
          );
        }
      }
      const maxTtl = role.max_ttl ?? 30 * 86_400;
      let ttl = parseTtl(p.ttl) ?? maxTtl;
      if (Number.isNaN(ttl)) return errors(res, 400, "error parsing ttl");
      const warnings: string[] = [];
      if (ttl > maxTtl) {
        warnings.push(
          `TTL "${ttl}s" is longer than permitted maxTTL "${maxTtl}s", so maxTTL is being used`,
        );
        ttl = maxTtl;
      }
      const cert = await issueCertificate({
        issuer: pkiRoot,
        subjectPublicKey: csr.spki,
        profile: "leaf",
        subject: cn ? { CN: cn } : undefined,
        uris,
        extKeyUsages: ["serverAuth", "clientAuth"],
        keyUsages: ["digitalSignature", "keyEncipherment", "keyAgreement"],
        ttlMs: ttl * 1000,
      });
      state.counts.signs++;
      const rootPem = encodeCertificatePem(pkiRoot.cert).trim();
      return json(res, 200, {
        request_id: crypto.randomUUID(),
        lease_id: "",
        renewable: false,
        lease_duration: 0,
        data: {
          certificate: encodeCertificatePem(cert).trim(),
          issuing_ca: rootPem,
          ca_chain: [rootPem],
          serial_number: cert.serialHex.match(/../g)!.join(":"),
          expiration: Math.floor(cert.notAfter.getTime() / 1000),
        },
        wrap_info: null,
        warnings: warnings.length ? warnings : null,
        auth: null,
      });
    }
    return errors(res, 404);
  };

  const server = https.createServer(
    {
      cert: encodeCertificatePem(tlsCert),
      key: await encodePrivateKeyPkcs8Pem(tlsKeys.privateKey),
    },
    (req, res) =>
      void handler(req, res).catch((e) => errors(res, 500, String(e))),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.address = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // deno-lint-ignore no-explicit-any
      (server as any).closeAllConnections?.();
    });
  return state;
}
