/**
 * Secret scrubbing for log output. Two layers: fields whose *name* says
 * secret are replaced whole, and any string value is scanned for things that
 * look like secrets (PEM private keys, JWTs, join tokens, bearer headers).
 * @module
 */

const SECRET_FIELD =
  /(pass(word)?|secret|token|jwt|private.?key|^key$|key.?pem|authorization|credential|hmac)/i;

const PATTERNS: [RegExp, string][] = [
  // PEM private keys of any flavour, complete or truncated.
  [
    /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g,
    "[REDACTED PRIVATE KEY]",
  ],
  // Bearer credentials.
  [/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, "$1 [REDACTED]"],
  // Join token <64 hex>.<jwt> and bare JWTs (three base64url parts, header starts "eyJ").
  [
    /\b[0-9a-f]{64}\.eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
    "[REDACTED TOKEN]",
  ],
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, "[REDACTED JWT]"],
  // Vault tokens (hvs./hvb./s. service tokens).
  [/\b(hv[sbr]|s)\.[A-Za-z0-9]{20,}/g, "[REDACTED VAULT TOKEN]"],
];

/** Scrub secret-looking substrings from a string. */
export function redactString(s: string): string {
  let out = s;
  for (const [re, repl] of PATTERNS) out = out.replace(re, repl);
  return out;
}

/**
 * Deep-copy `value` with secrets removed: secret-named fields become
 * `"[REDACTED]"`, strings are scrubbed, binary data is summarised.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[…]";
  if (typeof value === "string") return redactString(value);
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof Error) {
    return {
      name: value.name,
      message: redactString(value.message),
      ...("code" in value ? { code: (value as { code: unknown }).code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    if (value instanceof CryptoKey) return "[CryptoKey]";
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) && v !== undefined && v !== null && v !== ""
        ? "[REDACTED]"
        : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
