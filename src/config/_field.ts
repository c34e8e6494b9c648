/**
 * Core of the schema toolkit: the {@link Field} shape, presence handling,
 * path naming and how found values are described in messages.
 * @module
 */

/** What a field holds; used by docs, tests and the example checker. */
export type FieldKind =
  | "string"
  | "int"
  | "number"
  | "bool"
  | "duration"
  | "url"
  | "enum"
  | "path"
  | "hostPort"
  | "ip"
  | "custom"
  | "list"
  | "object"
  | "map";

/** `required`: must be set; `default`: falls back; `optional`: may be absent. */
export type Presence = "required" | "default" | "optional";

/** Marker returned by a decoder that reported an issue. */
export const INVALID: unique symbol = Symbol("invalid");
/** Type of {@link INVALID}. */
export type Invalid = typeof INVALID;

/** Decoding state shared by one validation run. */
export interface DecodeContext {
  /** Every problem found so far, as `path: message`. */
  readonly issues: string[];
  /** Find schema paths ending in `key` (for "did you mean" across sections). */
  readonly findKey: (key: string) => string[];
}

/** One configuration field. `T` is the decoded type. */
export interface Field<T> {
  /** What the field holds. */
  readonly kind: FieldKind;
  /** One-line description (the comment in example files). */
  readonly doc: string;
  /** Whether it must be set, has a default or may be absent. */
  readonly presence: Presence;
  /** The default as written in YAML (e.g. `"15s"`); `undefined` if none. */
  readonly defaultRaw: unknown;
  /** Expected-value phrase, e.g. `an https:// URL`. */
  readonly expected: string;
  /** Never echo the value in messages. */
  readonly secret: boolean;
  /** Sub-fields (objects). */
  readonly fields?: Readonly<Record<string, AnyField>>;
  /** Item field (lists and maps). */
  readonly item?: AnyField;
  /** Allowed values (enums). */
  readonly values?: readonly string[];
  /** Decode a present, non-null value; on failure push issues, return INVALID. */
  decode(raw: unknown, path: string, ctx: DecodeContext): T | Invalid;
}

// deno-lint-ignore no-explicit-any
export type AnyField = Field<any>;

/** The decoded type of a field. */
export type Infer<F> = F extends Field<infer T> ? T : never;

/** Options every field takes. */
export interface BaseOptions<R> {
  /** One-line description; becomes the comment in the example files. */
  doc: string;
  /** Value used when the key is absent or null, written as in YAML. */
  default?: R;
  /** When true, an absent key decodes to `undefined` instead of an error. */
  optional?: boolean;
  /** Never echo the value in error messages (tokens, passwords). */
  secret?: boolean;
}

/** `T`, or `T | undefined` for optional fields. */
export type Out<T, O> = O extends { optional: true } ? T | undefined : T;

/** Presence implied by options; rejects `default` together with `optional`. */
export function presenceOf(o: BaseOptions<unknown>): Presence {
  if (o.default !== undefined && o.optional) {
    throw new TypeError(
      `field "${o.doc}": default and optional exclude each other`,
    );
  }
  return o.default !== undefined
    ? "default"
    : o.optional
    ? "optional"
    : "required";
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Child path: `a.b`, `a[0]`, `a["odd key"]`. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (!IDENT.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

/** Path as shown in messages; the root is `(top level)`. */
export function showPath(path: string): string {
  return path === "" ? "(top level)" : path;
}

const MAX_SHOWN = 100;

/** Describe a found value for "got …" without leaking secrets. */
export function describeValue(raw: unknown, secret = false): string {
  if (raw === null || raw === undefined) return "null";
  if (Array.isArray(raw)) return raw.length === 0 ? "an empty list" : "a list";
  if (raw instanceof Uint8Array) return "binary data";
  if (typeof raw === "object") return "a mapping";
  if (secret) return `a ${typeof raw} (value hidden)`;
  if (typeof raw === "string") {
    const safe = raw.replace(/\/\/[^/@\s]*@/, "//***@");
    const shown = safe.length > MAX_SHOWN
      ? safe.slice(0, MAX_SHOWN) + "…"
      : safe;
    return JSON.stringify(shown);
  }
  return String(raw);
}

/** Push the standard `path: expected X, got Y (detail)` issue. */
export function reportMismatch(
  ctx: DecodeContext,
  path: string,
  field: Pick<AnyField, "expected" | "secret">,
  raw: unknown,
  detail?: string,
): Invalid {
  const got = describeValue(raw, field.secret);
  const tail = detail ? ` (${detail})` : "";
  ctx.issues.push(
    `${showPath(path)}: expected ${field.expected}, got ${got}${tail}`,
  );
  return INVALID;
}

/**
 * Resolve a field from its raw value: absent or null → default, `undefined`
 * (optional), an empty mapping (objects) or a "missing" issue.
 */
export function resolveField(
  field: AnyField,
  raw: unknown,
  path: string,
  ctx: DecodeContext,
): unknown {
  if (raw !== null && raw !== undefined) return field.decode(raw, path, ctx);
  switch (field.presence) {
    case "optional":
      return undefined;
    case "default":
      return field.decode(structuredClone(field.defaultRaw), path, ctx);
    case "required":
      if (field.kind === "object") return field.decode({}, path, ctx);
      ctx.issues.push(
        `${
          showPath(path)
        }: required field is missing (expected ${field.expected})`,
      );
      return INVALID;
  }
}

/** Decode `field.defaultRaw` once at build time; a bad default is a bug. */
export function checkDefault(field: AnyField): void {
  if (field.presence !== "default") return;
  const ctx: DecodeContext = { issues: [], findKey: () => [] };
  field.decode(structuredClone(field.defaultRaw), "(default)", ctx);
  if (ctx.issues.length > 0) {
    throw new TypeError(`invalid schema default: ${ctx.issues.join("; ")}`);
  }
}
