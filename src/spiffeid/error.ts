/**
 * {@link SpiffeIdError}: the one error of `src/spiffeid`, with the broken
 * rule as a stable {@link SpiffeIdRule}.
 * @module
 */
import { EdgeError } from "../errors.ts";

/**
 * Stable sub-reason of a rejected SPIFFE ID or trust domain, one per rule of
 * the SPIFFE ID standard (SPIFFE-ID §2).
 */
export type SpiffeIdRule =
  | "empty"
  | "too_long"
  | "scheme"
  | "authority"
  | "query"
  | "fragment"
  | "userinfo"
  | "port"
  | "percent_encoding"
  | "trust_domain_missing"
  | "trust_domain_chars"
  | "trust_domain_too_long"
  | "trust_domain_has_path"
  | "path_empty_segment"
  | "path_dot_segment"
  | "path_trailing_slash"
  | "path_segment_chars";

/** Human wording of each rule; the message names the rule, not the input. */
export const RULE_TEXT: Readonly<Record<SpiffeIdRule, string>> = {
  empty: "cannot be empty",
  too_long: "is longer than 2048 bytes",
  scheme: 'scheme must be "spiffe" (lowercase) followed by "://"',
  authority: 'authority is missing: expected "//" after "spiffe:"',
  query: 'query ("?") is not allowed',
  fragment: 'fragment ("#") is not allowed',
  userinfo: 'userinfo ("@") is not allowed',
  port: 'port (":") is not allowed in the trust domain',
  percent_encoding: 'percent-encoding ("%") is not allowed',
  trust_domain_missing: "trust domain is missing",
  trust_domain_chars:
    "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
  trust_domain_too_long: "trust domain is longer than 255 bytes",
  trust_domain_has_path: "a trust domain cannot have a path",
  path_empty_segment: "path cannot contain empty segments",
  path_dot_segment: 'path cannot contain dot segments ("." or "..")',
  path_trailing_slash: "path cannot have a trailing slash",
  path_segment_chars:
    "path segment characters are limited to letters, numbers, dots, dashes, and underscores",
};

/** What was being parsed; starts the message. */
export type SpiffeIdSubject = "spiffe ID" | "trust domain" | "path segment";

const MAX_QUOTED = 120;

/** Quote `input` for a message, shortening very long inputs. */
function quote(input: string): string {
  const shown = input.length > MAX_QUOTED
    ? input.slice(0, MAX_QUOTED) + "…"
    : input;
  return JSON.stringify(shown);
}

/**
 * A rejected SPIFFE ID, trust domain or path segment (code
 * `SPIFFE_ID_INVALID`). `rule` is stable; `reason` is the rule's wording
 * without the quoted input, for callers that add their own context.
 *
 * @example
 * ```ts
 * try { parseSpiffeId("spiffe://Example.org/x"); }
 * catch (e) { if (e instanceof SpiffeIdError) console.log(e.rule); } // "trust_domain_chars"
 * ```
 */
export class SpiffeIdError extends EdgeError {
  /** The broken rule. */
  readonly rule: SpiffeIdRule;
  /** Wording of the broken rule, e.g. "path cannot have a trailing slash". */
  readonly reason: string;

  /**
   * @param subject what `input` was meant to be
   * @param input the rejected text (quoted in the message)
   * @param rule the broken rule
   */
  constructor(subject: SpiffeIdSubject, input: string, rule: SpiffeIdRule) {
    super(
      "SPIFFE_ID_INVALID",
      `${subject} ${quote(input)}: ${RULE_TEXT[rule]}`,
    );
    this.name = "SpiffeIdError";
    this.rule = rule;
    this.reason = RULE_TEXT[rule];
  }
}
