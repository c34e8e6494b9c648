/**
 * Workload selector syntax `type:key:value` as written in configuration,
 * e.g. `unix:uid:1000` or `container:id:<hex>`. Syntax only; matching lives
 * with the Workload API.
 * @module
 */

/** A parsed selector. */
export interface Selector {
  /** Attestor type, e.g. `unix`. */
  type: string;
  /** Key within the type, e.g. `uid`. */
  key: string;
  /** Value; may itself contain ":". */
  value: string;
}

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,255}\$?$/;
const UINT32 = /^(0|[1-9]\d{0,9})$/;

/** Value rule per `type:key`; returns a reason when the value is bad. */
const RULES: Readonly<Record<string, (v: string) => string | undefined>> = {
  "unix:uid": (v) => isId(v) ? undefined : "expected a numeric user ID",
  "unix:gid": (v) => isId(v) ? undefined : "expected a numeric group ID",
  "unix:user": (v) => NAME.test(v) ? undefined : "expected a user name",
  "unix:group": (v) => NAME.test(v) ? undefined : "expected a group name",
  "unix:path": (v) =>
    v.startsWith("/") ? undefined : "expected an absolute path",
  "unix:sha256": (v) =>
    /^[0-9a-f]{64}$/.test(v) ? undefined : "expected 64 lowercase hex digits",
  "container:id": (v) =>
    /^[A-Za-z0-9_.-]{1,128}$/.test(v) ? undefined : "expected a container ID",
};

function isId(v: string): boolean {
  return UINT32.test(v) && Number(v) < 4294967295;
}

/** The known `type:key` prefixes, e.g. `unix:uid`. */
export const SELECTOR_KINDS: readonly string[] = Object.keys(RULES);

/**
 * Parse `type:key:value` for a known type and key.
 *
 * @throws {SyntaxError} with a message naming what is wrong
 * @example
 * ```ts
 * parseSelector("unix:uid:1000"); // { type: "unix", key: "uid", value: "1000" }
 * ```
 */
export function parseSelector(text: string): Selector {
  const m = /^([^:]*):([^:]*):(.*)$/s.exec(text);
  if (!m) {
    throw new SyntaxError(
      `selector ${JSON.stringify(text)}: expected "type:key:value"`,
    );
  }
  const [, type, key, value] = m;
  const rule = RULES[`${type}:${key}`];
  if (!rule || !Object.hasOwn(RULES, `${type}:${key}`)) {
    throw new SyntaxError(
      `selector ${
        JSON.stringify(text)
      }: unknown kind "${type}:${key}"; known kinds: ${
        SELECTOR_KINDS.join(", ")
      }`,
    );
  }
  const reason = rule(value);
  if (reason) {
    throw new SyntaxError(`selector ${JSON.stringify(text)}: ${reason}`);
  }
  return { type, key, value };
}
