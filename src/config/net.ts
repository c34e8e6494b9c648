/**
 * Address syntax used by configuration: IP addresses, host names and
 * `host:port` pairs. Pure string checks, no DNS.
 * @module
 */

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** True for a dotted-quad IPv4 address such as `127.0.0.1`. */
export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

/** True for an IPv6 address such as `::1` (no brackets, no zone). */
export function isIPv6(s: string): boolean {
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return false;
  return URL.canParse(`http://[${s}]/`);
}

/** True for an IPv4 or IPv6 address. */
export function isIp(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** True for a DNS name such as `hub.example.org` (RFC 1123, ≤ 253 bytes). */
export function isHostname(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  const labels = s.split(".");
  if (labels.every((l) => /^\d+$/.test(l))) return false; // looks like a bad IPv4
  return labels.every((l) => LABEL.test(l));
}

/** A parsed `host:port`; `host` has no brackets. */
export interface HostPort {
  /** IP address or DNS name, IPv6 without brackets. */
  host: string;
  /** 1–65535. */
  port: number;
}

/**
 * Parse `host:port` (`127.0.0.1:10000`, `hub.example.org:443`,
 * `[::1]:10000`). Returns `undefined` when malformed.
 *
 * @example
 * ```ts
 * parseHostPort("[::1]:10000"); // { host: "::1", port: 10000 }
 * ```
 */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535 || m[3].startsWith("0")) return undefined;
  if (m[1] !== undefined) {
    return isIPv6(m[1]) ? { host: m[1], port } : undefined;
  }
  const host = m[2];
  return isIPv4(host) || isHostname(host) ? { host, port } : undefined;
}

/** True when `host` is in 127.0.0.0/8, `::1` or `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIPv4(host) && host.startsWith("127.");
}
