/**
 * Name constraints (RFC 5280 §4.2.1.10), matched the way OpenSSL 3 does:
 * DNS (suffix on a label boundary), URI (host exact, or any subdomain when
 * the constraint starts with "."), email, IP (address/mask) and directory
 * names (RDN prefix). Internal to `chain.ts`.
 * @module
 */
import { bytesEqual } from "../bytes.ts";
import { OID } from "./_der.ts";
import {
  type GeneralName,
  type GeneralSubtree,
  ia5Text,
  type NameConstraintSubtrees,
  parseGeneralNames,
  parseNameConstraints,
} from "./_general_names.ts";
import { isEmptyName, nameRdns } from "./_name.ts";
import type { x509 } from "./_x509.ts";

/** The NameConstraints of a CA certificate, or undefined without one. */
export function nameConstraintsOf(
  cert: x509.X509Certificate,
): NameConstraintSubtrees | undefined {
  const ext = cert.getExtension(OID.nameConstraints);
  return ext ? parseNameConstraints(new Uint8Array(ext.value)) : undefined;
}

/** The subject alternative names of a certificate (empty without a SAN). */
export function subjectAltNames(
  cert: x509.X509Certificate,
): GeneralName[] {
  const ext = cert.getExtension(OID.subjectAltName);
  return ext ? parseGeneralNames(new Uint8Array(ext.value)) : [];
}

/** A hostname-looking CN (OpenSSL's cn2dnsid rules), else undefined. */
function cnAsDns(cert: x509.X509Certificate): string | undefined {
  const cn = cert.subjectName.getField("CN").at(-1);
  const label = "[A-Za-z0-9_]+(?:-+[A-Za-z0-9_]+)*";
  return cn && new RegExp(`^${label}(?:\\.${label})+$`).test(cn)
    ? cn
    : undefined;
}

/** Every name of `cert` that constraints apply to. */
function namesOf(
  cert: x509.X509Certificate,
  isLeaf: boolean,
): GeneralName[] {
  const names = subjectAltNames(cert);
  const subject = new Uint8Array(cert.subjectName.toArrayBuffer());
  if (!isEmptyName(subject)) {
    names.push({ kind: "dirName", bytes: subject, raw: subject });
  }
  // OpenSSL also checks a leaf's hostname-like CN when it has no DNS SAN.
  const cn = isLeaf && !names.some((n) => n.kind === "dns")
    ? cnAsDns(cert)
    : undefined;
  if (cn) {
    const bytes = new TextEncoder().encode(cn);
    names.push({ kind: "dns", bytes, raw: bytes });
  }
  return names;
}

function dnsMatch(name: string, base: string): boolean {
  if (base === "") return true;
  if (name.length < base.length || !name.endsWith(base)) return false;
  return name.length === base.length || base.startsWith(".") ||
    name[name.length - base.length - 1] === ".";
}

/** Host of a URI (`scheme://host[:port][/...]`), or undefined when unparsable. */
function uriHost(uri: string): string | undefined {
  const m = /^[^:/?#]+:\/\/([^/:?#]*)/.exec(uri);
  return m && m[1] !== "" ? m[1] : undefined;
}

/** `host` is `base`, or (when `base` starts with ".") a subdomain of it. */
function hostMatch(host: string, base: string): boolean {
  return base.startsWith(".")
    ? host.length > base.length && host.endsWith(base)
    : host === base;
}

function emailMatch(email: string, base: string): boolean {
  const at = email.lastIndexOf("@");
  if (at < 0) return false;
  if (base.includes("@")) {
    const bat = base.lastIndexOf("@");
    return email.slice(0, at) === base.slice(0, bat) &&
      email.slice(at + 1).toLowerCase() === base.slice(bat + 1).toLowerCase();
  }
  return hostMatch(email.slice(at + 1).toLowerCase(), base.toLowerCase());
}

function ipMatch(ip: Uint8Array, base: Uint8Array): boolean {
  const n = ip.length;
  if (base.length !== 2 * n) return false;
  for (let i = 0; i < n; i++) {
    if ((ip[i] & base[n + i]) !== (base[i] & base[n + i])) return false;
  }
  return true;
}

function dirMatch(name: Uint8Array, base: Uint8Array): boolean {
  const have = nameRdns(name);
  const want = nameRdns(base);
  return want.length <= have.length &&
    want.every((rdn, i) => bytesEqual(rdn, have[i]));
}

/** Does `name` fall within `base`? Throws for kinds we cannot compare. */
function matches(name: GeneralName, base: GeneralName): boolean {
  switch (name.kind) {
    case "dns":
      return dnsMatch(
        ia5Text(name.bytes).toLowerCase(),
        ia5Text(base.bytes).toLowerCase(),
      );
    case "uri": {
      const host = uriHost(ia5Text(name.bytes));
      if (host === undefined) {
        throw new Error(
          `URI ${JSON.stringify(ia5Text(name.bytes))} has no host`,
        );
      }
      return hostMatch(host.toLowerCase(), ia5Text(base.bytes).toLowerCase());
    }
    case "email":
      return emailMatch(ia5Text(name.bytes), ia5Text(base.bytes));
    case "ip":
      return ipMatch(name.bytes, base.bytes);
    case "dirName":
      return dirMatch(name.bytes, base.bytes);
    default:
      throw new Error(`${name.kind} name constraints are not supported`);
  }
}

function show(n: GeneralName): string {
  if (n.kind === "ip") return `ip:${[...n.bytes].join(".")}`;
  if (n.kind === "dirName") return "directory name";
  return `${n.kind}:${JSON.stringify(ia5Text(n.bytes))}`;
}

function checkSubtree(st: GeneralSubtree): void {
  if (st.minimum !== 0 || st.maximum !== undefined) {
    throw new Error("name constraint with minimum/maximum is not supported");
  }
}

/**
 * Check `cert`'s names against one CA's constraints. Returns a description
 * of the first violation, or undefined when every name is allowed.
 */
export function nameConstraintViolation(
  cert: x509.X509Certificate,
  isLeaf: boolean,
  nc: NameConstraintSubtrees,
): string | undefined {
  try {
    for (const name of namesOf(cert, isLeaf)) {
      const permitted = nc.permitted.filter((s) => s.base.kind === name.kind);
      permitted.forEach(checkSubtree);
      if (
        permitted.length > 0 && !permitted.some((s) => matches(name, s.base))
      ) {
        return `name ${
          show(name)
        } is outside every permitted ${name.kind} subtree`;
      }
      for (const s of nc.excluded.filter((s) => s.base.kind === name.kind)) {
        checkSubtree(s);
        if (matches(name, s.base)) {
          return `name ${show(name)} is in the excluded subtree ${
            show(s.base)
          }`;
        }
      }
    }
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}
