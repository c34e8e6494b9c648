/**
 * Field helpers shared by the edge and hub schemas: trust domain, SPIFFE
 * ID, selector, socket mode and the `log` section.
 * @module
 */
import {
  isNodeId,
  isRoot,
  NODE_ID_RESERVED,
  parseSpiffeId,
  parseTrustDomain,
  SpiffeIdError,
} from "../spiffeid/mod.ts";
import { formatDuration } from "./duration.ts";
import * as s from "./schema.ts";
import { parseSelector } from "./selector.ts";
import { isHostname } from "./net.ts";

function spiffeReason(e: unknown): string {
  if (e instanceof SpiffeIdError) return e.reason;
  throw e;
}

/** A trust domain name (`example.org`, or `spiffe://example.org`), kept as the name. */
export function trustDomainField(doc: string, dflt: string) {
  return s.custom({
    doc,
    default: dflt,
    expected: 'a trust domain like "example.org"',
    check: (raw: unknown) => {
      if (typeof raw !== "string") return s.fail();
      try {
        return s.pass(parseTrustDomain(raw).name);
      } catch (e) {
        return s.fail(spiffeReason(e));
      }
    },
  });
}

/** A workload SPIFFE ID with a non-root path, kept as its string form. */
export function workloadIdField<
  const O extends { doc: string; optional?: boolean },
>(o: O) {
  return s.custom({
    ...o,
    expected: 'a SPIFFE ID with a path, like "spiffe://example.org/app"',
    check: (raw: unknown) => {
      if (typeof raw !== "string") return s.fail();
      try {
        const id = parseSpiffeId(raw);
        if (isRoot(id)) return s.fail("a workload ID needs a path");
        if (isNodeId(id)) return s.fail(NODE_ID_RESERVED);
        return s.pass(id.toString());
      } catch (e) {
        return s.fail(spiffeReason(e));
      }
    },
  });
}

/** A selector `type:key:value` (see {@link parseSelector}), kept as text. */
export const selectorField = s.custom({
  doc: 'Selector "type:key:value", e.g. "unix:uid:1000".',
  expected: 'a selector like "unix:uid:1000"',
  check: (raw: unknown) => {
    if (typeof raw !== "string") return s.fail();
    try {
      parseSelector(raw);
      return s.pass(raw);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      return s.fail(e.message.replace(/^selector "(?:[^"\\]|\\.)*": /, ""));
    }
  },
});

/** An octal file mode written as a quoted string ("0660"); decodes to a number. */
export function socketModeField(doc: string, dflt: string) {
  return s.custom({
    doc,
    default: dflt,
    expected: 'an octal mode string like "0660"',
    check: (raw: unknown) => {
      if (typeof raw === "number") return s.fail('quote it, e.g. "0660"');
      if (typeof raw !== "string" || !/^0?[0-7]{3}$/.test(raw)) return s.fail();
      return s.pass(parseInt(raw, 8));
    },
  });
}

/** The `log` section shared by edge and hub. */
export function logSection() {
  return s.object({
    level: s.enumOf(["debug", "info", "warn", "error"], {
      doc: "Minimum level written.",
      default: "info",
    }),
    format: s.enumOf(["auto", "json", "text"], {
      doc: "Output format; auto = text on a terminal, JSON lines otherwise.",
      default: "auto",
    }),
  }, { doc: "Logging." });
}

/** Cross-field message: a duration must not exceed another field's. */
export function notLongerThan(
  otherPath: string,
  other: number,
  got: number,
): string {
  return `expected at most ${otherPath} (${formatDuration(other)}), got ${
    JSON.stringify(formatDuration(got))
  }`;
}

/** A DNS name (hostname syntax). */
export const dnsNameField: s.Field<string> = s.custom({
  doc: "DNS name.",
  expected: 'a DNS name like "hub.example.org"',
  check: (raw: unknown) =>
    typeof raw === "string" && isHostname(raw) ? s.pass(raw) : s.fail(),
});
