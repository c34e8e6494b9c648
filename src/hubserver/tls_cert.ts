/**
 * The hub's own TLS (serving) certificate: issued by its CA with the SANs
 * from config, checked to cover the listen address, renewed before expiry.
 * @module
 */
import type { Clock } from "../clock.ts";
import { EdgeError } from "../errors.ts";
import { isIp, parseHostPort } from "../config/mod.ts";
import {
  type Certificate,
  encodeCertificatePem,
  encodePrivateKeyPkcs8Pem,
  generateKeyPair,
  issueCertificate,
} from "../pki/mod.ts";
import type { HubCa } from "./ca.ts";

/** Default lifetime of the serving certificate. */
export const SERVING_CERT_TTL_MS = 7 * 86_400_000;

/** A serving certificate with its key, PEM. */
export interface ServingCertificate {
  cert: Certificate;
  /** The certificate followed by the hub's intermediates. */
  certPem: string;
  keyPem: string;
}

const WILDCARD = new Set(["0.0.0.0", "::"]);

function normalizeIp(ip: string): string {
  return ip.includes(":") ? ip.toLowerCase().replace(/^\[|\]$/g, "") : ip;
}

/**
 * Throw `CONFIG_INVALID` when `listen`'s host is not among the certificate's
 * SANs (a wildcard address is accepted: clients must use a listed name).
 */
export function checkListenCovered(
  field: string,
  listen: string,
  san: { dnsNames: readonly string[]; ipAddresses: readonly string[] },
): void {
  const host = parseHostPort(listen)?.host ?? listen.replace(/:\d+$/, "");
  if (WILDCARD.has(host)) return;
  const covered = isIp(host)
    ? san.ipAddresses.some((ip) => normalizeIp(ip) === normalizeIp(host))
    : san.dnsNames.some((d) => d.toLowerCase() === host.toLowerCase());
  if (!covered) {
    throw new EdgeError(
      "CONFIG_INVALID",
      `${field}: host "${host}" is not in the hub certificate's SANs ` +
        `(enroll.${isIp(host) ? "ipAddresses" : "dnsNames"} = ${
          JSON.stringify(isIp(host) ? san.ipAddresses : san.dnsNames)
        }); add it there`,
    );
  }
}

/** Issue a serving certificate (serverAuth) under the hub CA. */
export async function issueServingCertificate(
  ca: HubCa,
  options: {
    dnsNames: readonly string[];
    ipAddresses: readonly string[];
    ttlMs?: number;
    clock?: Clock;
  },
): Promise<ServingCertificate> {
  const keys = await generateKeyPair();
  const cert = await issueCertificate({
    issuer: ca.issuer,
    subjectPublicKey: keys.publicKey,
    profile: "leaf",
    subject: { CN: options.dnsNames[0] ?? options.ipAddresses[0] ?? "hub" },
    dnsNames: options.dnsNames,
    ipAddresses: options.ipAddresses,
    extKeyUsages: ["serverAuth"],
    keyUsages: ["digitalSignature", "keyEncipherment"],
    ttlMs: options.ttlMs ?? SERVING_CERT_TTL_MS,
    clock: options.clock,
  });
  return {
    cert,
    certPem: [cert, ...ca.intermediates].map((c) => encodeCertificatePem(c))
      .join(""),
    keyPem: await encodePrivateKeyPkcs8Pem(keys.privateKey),
  };
}

/** When to renew: at two thirds of the lifetime. */
export function servingRenewAt(cert: Certificate): number {
  const nb = cert.notBefore.getTime();
  return nb + (cert.notAfter.getTime() - nb) * 2 / 3;
}
