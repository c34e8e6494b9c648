/**
 * A minimal stand-in for KubeEdge cloudcore's enrollment server (port
 * 10002), written to its documented behaviour (`../shared/reference/kubeedge.md`)
 * because cloudcore cannot run here:
 *
 * - `node:https`; TLS asks for (but does not require) a client certificate.
 * - `GET /ca.crt` → 200, the CA as raw DER, no auth.
 * - `GET /edge.crt` with the CSR as raw DER **body** (capped at 1 MiB):
 *   authorized by a client certificate chaining to the CA (checked like Go's
 *   `x509.Verify`: signature, validity, clientAuth, subject
 *   `O=system:nodes, CN=system:node:*`) or else by `Authorization: Bearer
 *   <jwt>`, an HS256 JWT keyed by the CA private key's (SEC1) DER with only
 *   `exp`. Failures → 401 with a plain-text reason.
 * - Issues CN/O/DNS/IP from the CSR, KeyUsage digitalSignature|
 *   keyEncipherment, EKU from the `ExtKeyUsages` header (Go numbers: 1
 *   serverAuth, 2 clientAuth; absent → clientAuth), random serial, response
 *   200 raw DER. Errors are plain text.
 *
 * Two opt-in extensions emulate OUR hub's policy (cloudcore has neither) and
 * are off by default: `graceAfterExpiryMs` (renewal with a recently expired
 * certificate) and `lock(node)` (renewal refused for a locked node);
 * `trustDomain` adds our hub's URI SAN `spiffe://<td>/node/<name>`.
 *
 * @module
 */
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  caHash,
  type Certificate,
  createSelfSignedCa,
  encodeCertificatePem,
  encodePrivateKeyPkcs8Pem,
  encodePrivateKeySec1Der,
  generateKeyPair,
  issueCertificate,
  parseCertificateDer,
  parseCsrDer,
  verifyCertificateSignature,
} from "../../src/pki/mod.ts";
import { importHmacKey, signJwt, verifyJwt } from "../../src/jose/mod.ts";

/** Options of {@link startCloudcoreStandin}. */
export interface CloudcoreOptions {
  /** Lifetime of issued node certificates. @default 365 days */
  certTtlMs?: number;
  /** Extension (our hub, not cloudcore): accept renewal this long after expiry. */
  graceAfterExpiryMs?: number;
  /** Extension (our hub): add URI SAN `spiffe://<td>/node/<name>`. */
  trustDomain?: string;
  /** Reuse a CA (e.g. across a restart of the stand-in). */
  ca?: { cert: Certificate; keys: CryptoKeyPair };
  /** Listen on this port. @default 0 (any) */
  port?: number;
}

/** Counters of what the stand-in did. */
export interface CloudcoreCounts {
  caFetches: number;
  enrollments: number;
  renewals: number;
  refused: number;
}

/** A running stand-in. */
export interface CloudcoreStandin {
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
  ca: { cert: Certificate; keys: CryptoKeyPair };
  /** A join token `<caHash>.<jwt>` valid for `ttlMs` (default 24 h). */
  token(ttlMs?: number): Promise<string>;
  counts: CloudcoreCounts;
  /** Extension (our hub): refuse renewal for `node`. */
  lock(node: string): void;
  unlock(node: string): void;
  /** Stop accepting connections (the hub is "down"); {@link resume} re-listens on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on("data", (c: Uint8Array) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return resolve(undefined);
      const out = new Uint8Array(size);
      let off = 0;
      for (const c of chunks) out.set(c, off), off += c.length;
      resolve(out);
    });
    req.on("error", reject);
  });
}

/** Start the stand-in on 127.0.0.1. */
export async function startCloudcoreStandin(
  options: CloudcoreOptions = {},
): Promise<CloudcoreStandin> {
  const ca = options.ca ??
    await createSelfSignedCa({
      subject: { CN: "KubeEdge" },
      ttlMs: 10 * 365 * 86_400_000,
    });
  const hmac = await importHmacKey(
    await encodePrivateKeySec1Der(ca.keys.privateKey),
  );
  const serverKeys = await generateKeyPair();
  const serverCert = await issueCertificate({
    issuer: ca,
    subjectPublicKey: serverKeys.publicKey,
    profile: "leaf",
    subject: { CN: "cloudcore" },
    ipAddresses: ["127.0.0.1"],
    extKeyUsages: ["serverAuth"],
    keyUsages: ["digitalSignature", "keyEncipherment"],
    ttlMs: 365 * 86_400_000,
  });
  const counts: CloudcoreCounts = {
    caFetches: 0,
    enrollments: 0,
    renewals: 0,
    refused: 0,
  };
  const locked = new Set<string>();
  const certTtl = options.certTtlMs ?? 365 * 86_400_000;

  const text = (res: ServerResponse, status: number, msg: string) => {
    if (status === 401) counts.refused++;
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(msg);
  };

  /** Client-certificate check like cloudcore's verifyCert (x509.Verify + subject). */
  const verifyPeer = async (der: Uint8Array): Promise<string | undefined> => {
    let cert: Certificate;
    try {
      cert = parseCertificateDer(der);
    } catch {
      return "failed to parse the client certificate";
    }
    if (!(await verifyCertificateSignature(cert, ca.cert))) {
      return "x509: certificate signed by unknown authority";
    }
    const now = Date.now();
    const grace = options.graceAfterExpiryMs ?? 0;
    if (
      now < cert.notBefore.getTime() || now > cert.notAfter.getTime() + grace
    ) {
      return "x509: certificate has expired or is not yet valid";
    }
    if (!cert.extKeyUsages.includes("clientAuth")) {
      return "x509: certificate specifies an incompatible key usage";
    }
    const legacy = cert.commonName === "kubeedge.io" &&
      cert.organizations.includes("KubeEdge");
    const node = cert.organizations.includes("system:nodes") &&
      cert.commonName?.startsWith("system:node:");
    if (!legacy && !node) return "certificate subject is not an edge node";
    if (locked.has(cert.commonName!.slice("system:node:".length))) {
      return "node is locked";
    }
    return undefined;
  };

  const sign = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (!body) return text(res, 400, "request body too large");
    let csr;
    try {
      csr = await parseCsrDer(body);
    } catch (err) {
      return text(
        res,
        400,
        `fail to ParseCertificateRequest of edgenode: ${
          req.headers["nodename"]
        }! err:${(err as Error).message}`,
      );
    }
    let ekus: ("serverAuth" | "clientAuth")[] = ["clientAuth"];
    const header = req.headers["extkeyusages"];
    if (typeof header === "string" && header !== "") {
      try {
        const nums = JSON.parse(header) as number[];
        ekus = nums.map((n) => {
          if (n === 1) return "serverAuth" as const;
          if (n === 2) return "clientAuth" as const;
          throw new Error(`unsupported ExtKeyUsage ${n}`);
        });
      } catch (err) {
        return text(
          res,
          400,
          `failed to parse ExtKeyUsages: ${(err as Error).message}`,
        );
      }
    }
    const name = String(req.headers["nodename"] ?? "");
    try {
      const cert = await issueCertificate({
        issuer: ca,
        subjectPublicKey: csr.spki,
        profile: "leaf",
        subject: { CN: csr.commonName, O: csr.organizations },
        dnsNames: csr.dnsNames,
        ipAddresses: csr.ipAddresses,
        uris: options.trustDomain && name
          ? [`spiffe://${options.trustDomain}/node/${name}`]
          : [],
        extKeyUsages: ekus,
        keyUsages: ["digitalSignature", "keyEncipherment"],
        ttlMs: certTtl,
      });
      res.writeHead(200, { "Content-Type": "application/octet-stream" });
      res.end(cert.der);
      return true;
    } catch (err) {
      text(
        res,
        500,
        `fail to signCerts for edgenode:${name}! err:${(err as Error).message}`,
      );
      return false;
    }
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const path = (req.url ?? "").split("?")[0];
      if (path === "/ca.crt" && req.method === "GET") {
        counts.caFetches++;
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        return res.end(ca.cert.der);
      }
      if (path !== "/edge.crt" || req.method !== "GET") {
        return text(res, 404, "404 page not found\n");
      }
      // deno-lint-ignore no-explicit-any
      const peer = (req.socket as any).getPeerCertificate?.(true);
      const raw: Uint8Array | undefined = peer?.raw;
      if (raw && raw.length > 0) {
        const why = await verifyPeer(new Uint8Array(raw));
        if (why) {
          return text(
            res,
            401,
            `failed to verify the certificate for edgenode: ${why}`,
          );
        }
        if (await sign(req, res)) counts.renewals++;
        return;
      }
      const auth = String(req.headers["authorization"] ?? "");
      const parts = auth.split(" ");
      if (parts.length !== 2 || parts[0] !== "Bearer") {
        return text(
          res,
          401,
          "token validation failure, authorization header is invalid",
        );
      }
      try {
        await verifyJwt(parts[1], { key: hmac, algorithms: ["HS256"] });
      } catch (err) {
        return text(
          res,
          401,
          `token validation failure, ${(err as Error).message}`,
        );
      }
      if (await sign(req, res)) counts.enrollments++;
    } catch (err) {
      text(res, 500, (err as Error).message);
    }
  };

  const tlsOptions = {
    cert: encodeCertificatePem(serverCert),
    key: await encodePrivateKeyPkcs8Pem(serverKeys.privateKey),
    requestCert: true,
    rejectUnauthorized: false,
  };
  let server = https.createServer(tlsOptions, handler);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () =>
        resolve((server.address() as AddressInfo).port));
    });
  const port = await listen(options.port ?? 0);
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // deno-lint-ignore no-explicit-any
      (server as any).closeAllConnections?.();
    });
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    ca,
    counts,
    async token(ttlMs = 86_400_000) {
      const jwt = await signJwt(
        { alg: "HS256", typ: "JWT" },
        { exp: Math.floor((Date.now() + ttlMs) / 1000) },
        hmac,
      );
      return `${await caHash(ca.cert.der)}.${jwt}`;
    },
    lock: (node) => void locked.add(node),
    unlock: (node) => void locked.delete(node),
    pause: stop,
    async resume() {
      server = https.createServer(tlsOptions, handler);
      await listen(port);
    },
    close: stop,
  };
}
