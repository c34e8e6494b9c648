/**
 * Name constraints (RFC 5280 §4.2.1.10), matched the way OpenSSL 3 does:
 * DNS (suffix on a label boundary), URI (host exact, or any subdomain when
 * the constraint starts with "."), email, IP (address/mask) and directory
 * names (RDN prefix). Internal to `chain.ts`.
 * @module
 */
import {
  type GeneralNameValue,
  type GeneralSubtree,
  ia5,
  type NameConstraints,
  nameRdns,
  parseGeneralNames,
  parseNameConstraints,
} from "./_chain_der.ts";
import type { x509 } from "./_x509.ts";

const SAN_OID = "2.5.29.17";
const NC_OID = "2.5.29.30";

/** The NameConstraints of a CA certificate, or undefined without one. */
export function nameConstraintsOf(
  cert: x509.X509Certificate,
): NameConstraints | undefined {
  const ext = cert.getExtension(NC_OID);
  return ext ? parseNameConstraints(new Uint8Array(ext.value)) : undefined;
}

/** The subject alternative names of a certificate (empty without a SAN). */
export function subjectAltNames(
  cert: x509.X509Certificate,
): GeneralNameValue[] {
  const ext = cert.getExtension(SAN_OID);
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
): GeneralNameValue[] {
  const names = subjectAltNames(cert);
  const subject = new Uint8Array(cert.subjectName.toArrayBuffer());
  if (nameRdns(subject).length > 0) {
    names.push({ kind: "dirName", bytes: subject });
  }
  // OpenSSL also checks a leaf's hostname-like CN when it has no DNS SAN.
  const cn = isLeaf && !names.some((n) => n.kind === "dns")
    ? cnAsDns(cert)
    : undefined;
  if (cn) {
    names.push({ kind: "dns", bytes: new TextEncoder().encode(cn) });
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

function uriMatch(host: string, base: string): boolean {
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
  const domain = email.slice(at + 1).toLowerCase();
  const b = base.toLowerCase();
  return b.startsWith(".")
    ? domain.length > b.length && domain.endsWith(b)
    : domain === b;
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
    want.every((rdn, i) =>
      rdn.length === have[i].length && rdn.every((b, j) => b === have[i][j])
    );
}

/** Does `name` fall within `base`? Throws for kinds we cannot compare. */
function matches(name: GeneralNameValue, base: GeneralNameValue): boolean {
  switch (name.kind) {
    case "dns":
      return dnsMatch(
        ia5(name.bytes).toLowerCase(),
        ia5(base.bytes).toLowerCase(),
      );
    case "uri": {
      const host = uriHost(ia5(name.bytes));
      if (host === undefined) {
        throw new Error(`URI ${JSON.stringify(ia5(name.bytes))} has no host`);
      }
      return uriMatch(host.toLowerCase(), ia5(base.bytes).toLowerCase());
    }
    case "email":
      return emailMatch(ia5(name.bytes), ia5(base.bytes));
    case "ip":
      return ipMatch(name.bytes, base.bytes);
    case "dirName":
      return dirMatch(name.bytes, base.bytes);
    default:
      throw new Error(`${name.kind} name constraints are not supported`);
  }
}

function show(n: GeneralNameValue): string {
  if (n.kind === "ip") return `ip:${[...n.bytes].join(".")}`;
  if (n.kind === "dirName") return "directory name";
  return `${n.kind}:${JSON.stringify(ia5(n.bytes))}`;
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
  nc: NameConstraints,
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
