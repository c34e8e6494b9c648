/**
 * Certificate profiles: which extensions a leaf (X.509-SVID / node
 * certificate) and a CA (root / node intermediate) carry, with the SPIFFE
 * X509-SVID §4 rules enforced. Internal: used by `certificate.ts`.
 * @module
 */
import { EdgeError } from "../errors.ts";
import {
  buildBasicConstraints,
  buildEku,
  buildKeyUsage,
  buildNameConstraints,
  buildSan,
  type DerExtension,
  type ExtKeyUsageName,
  type KeyUsageName,
} from "./_extensions.ts";

/** What a profile needs to decide the extensions. */
export interface ProfileInput {
  profile: "leaf" | "ca";
  subjectIsEmpty: boolean;
  uris: readonly string[];
  dnsNames: readonly string[];
  ipAddresses: readonly string[];
  extKeyUsages: readonly ExtKeyUsageName[];
  keyUsages?: readonly KeyUsageName[];
  pathLength?: number;
  permittedUriDomains?: readonly string[];
  permittedDnsDomains?: readonly string[];
  permittedIpRanges?: readonly string[];
}

const LEAF_ALLOWED_KU: readonly KeyUsageName[] = [
  "digitalSignature",
  "keyEncipherment",
  "keyAgreement",
];

function refuse(message: string): never {
  throw new EdgeError("CERT_INVALID", message);
}

/** Extensions (without SKI/AKI) for `input`, after checking the rules. */
export function profileExtensions(input: ProfileInput): DerExtension[] {
  const exts: DerExtension[] = [];
  if (
    input.uris.length + input.dnsNames.length + input.ipAddresses.length ===
      0 &&
    input.subjectIsEmpty
  ) {
    refuse(
      "Certificate needs a subject or at least one subject alternative name",
    );
  }
  if (input.profile === "leaf") {
    if (input.pathLength !== undefined) {
      throw new TypeError('pathLength applies only to the "ca" profile');
    }
    if (hasNameConstraints(input)) {
      throw new TypeError(
        'name constraints (permitted*) apply only to the "ca" profile',
      );
    }
    if (input.uris.length > 1) {
      refuse(
        `Leaf certificate: expected at most one URI SAN, got ${input.uris.length}`,
      );
    }
    const ku = input.keyUsages ?? ["digitalSignature"];
    const bad = ku.filter((u) => !LEAF_ALLOWED_KU.includes(u));
    if (bad.length) {
      refuse(
        `Leaf certificate: key usage ${
          bad.map((b) => `"${b}"`).join(", ")
        } is not allowed`,
      );
    }
    if (!ku.includes("digitalSignature")) {
      refuse('Leaf certificate: key usage must include "digitalSignature"');
    }
    const isSvid = input.uris.some((u) => u.startsWith("spiffe://"));
    const eku = new Set(input.extKeyUsages);
    if (
      isSvid && eku.size > 0 &&
      !(eku.has("serverAuth") && eku.has("clientAuth"))
    ) {
      refuse(
        'X.509-SVID: extended key usage must have both "serverAuth" and "clientAuth"',
      );
    }
    exts.push(buildBasicConstraints(false));
    exts.push(buildKeyUsage(ku));
  } else {
    if (
      input.pathLength !== undefined &&
      (!Number.isInteger(input.pathLength) || input.pathLength < 0)
    ) {
      throw new TypeError(
        `pathLength: expected a non-negative integer, got ${input.pathLength}`,
      );
    }
    const ku = input.keyUsages ??
      ["digitalSignature", "keyCertSign", "cRLSign"];
    if (!ku.includes("keyCertSign")) {
      refuse('CA certificate: key usage must include "keyCertSign"');
    }
    exts.push(buildBasicConstraints(true, input.pathLength));
    exts.push(buildKeyUsage(ku));
  }
  const eku = buildEku(input.extKeyUsages);
  if (eku) exts.push(eku);
  const san = buildSan({
    uris: [...input.uris],
    dnsNames: [...input.dnsNames],
    ipAddresses: [...input.ipAddresses],
  }, input.subjectIsEmpty);
  if (san) exts.push(san);
  if (hasNameConstraints(input)) {
    exts.push(buildNameConstraints(input));
  }
  return exts;
}

function hasNameConstraints(input: ProfileInput): boolean {
  return Boolean(
    input.permittedUriDomains?.length || input.permittedDnsDomains?.length ||
      input.permittedIpRanges?.length,
  );
}
