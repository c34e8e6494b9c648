/**
 * Leaf field builders of the schema toolkit: string, int, number, bool,
 * duration, url, enum, path, hostPort, ip and custom. Each takes `doc` and
 * either `default` (as written in YAML), `optional: true`, or neither
 * (required).
 *
 * @example
 * ```ts
 * const heartbeat = duration({ doc: "Ping interval.", default: "15s" });
 * ```
 * @module
 */
import {
  DurationSyntaxError,
  formatDuration,
  parseDuration,
} from "./duration.ts";
import {
  type BaseOptions,
  checkDefault,
  type Field,
  type FieldKind,
  type Out,
  presenceOf,
  reportMismatch,
} from "./_field.ts";
import { isIp, parseHostPort } from "./net.ts";

/** Result of a leaf check: the value, or a failure with an optional detail. */
export type CheckResult<T> = { ok: true; value: T } | {
  ok: false;
  detail?: string;
};

const ok = <T>(value: T): CheckResult<T> => ({ ok: true, value });
const no = (detail?: string): CheckResult<never> => ({ ok: false, detail });

function leaf<T>(
  kind: FieldKind,
  o: BaseOptions<unknown>,
  expected: string,
  check: (raw: unknown) => CheckResult<T>,
  extra: Partial<Field<T>> = {},
): Field<T> {
  const field: Field<T> = {
    kind,
    doc: o.doc,
    presence: presenceOf(o),
    defaultRaw: o.default,
    expected,
    secret: o.secret ?? false,
    ...extra,
    decode(raw, path, ctx) {
      const r = check(raw);
      return r.ok ? r.value : reportMismatch(ctx, path, field, raw, r.detail);
    },
  };
  checkDefault(field);
  return field;
}

/** Options of {@link string}. */
export interface StringOptions extends BaseOptions<string> {
  /** Required shape. */
  pattern?: RegExp;
  /** Expected-value phrase. @default "a non-empty string" */
  expected?: string;
  /** @default 1024 */
  maxLength?: number;
}

/** A non-empty string, optionally matching `pattern`. */
export function string<const O extends StringOptions>(
  o: O,
): Field<Out<string, O>> {
  const max = o.maxLength ?? 1024;
  return leaf("string", o, o.expected ?? "a non-empty string", (raw) => {
    if (typeof raw !== "string" || raw === "") return no();
    if (raw.length > max) return no(`longer than ${max} characters`);
    return o.pattern && !o.pattern.test(raw) ? no() : ok(raw);
  });
}

/** Options of {@link int} and {@link number}. */
export interface NumberOptions extends BaseOptions<number> {
  /** Smallest allowed value. */
  min?: number;
  /** Largest allowed value. */
  max?: number;
}

function range(noun: string, o: NumberOptions): string {
  if (o.min !== undefined && o.max !== undefined) {
    return `${noun} from ${o.min} to ${o.max}`;
  }
  if (o.min !== undefined) return `${noun} of at least ${o.min}`;
  if (o.max !== undefined) return `${noun} of at most ${o.max}`;
  return noun;
}

function numeric(kind: "int" | "number", o: NumberOptions): Field<number> {
  const expected = range(kind === "int" ? "an integer" : "a number", o);
  return leaf(kind, o, expected, (raw) => {
    if (typeof raw !== "number" || !Number.isFinite(raw)) return no();
    if (kind === "int" && !Number.isSafeInteger(raw)) return no();
    if (o.min !== undefined && raw < o.min) return no();
    return o.max !== undefined && raw > o.max ? no() : ok(raw);
  });
}

/** A whole number within `[min, max]`. Quoted numbers are rejected. */
export function int<const O extends NumberOptions>(
  o: O,
): Field<Out<number, O>> {
  return numeric("int", o);
}

/** A finite number within `[min, max]`, e.g. a fraction. */
export function number<const O extends NumberOptions>(
  o: O,
): Field<Out<number, O>> {
  return numeric("number", o);
}

/** `true` or `false` (YAML booleans only, not "yes"). */
export function bool<const O extends BaseOptions<boolean>>(
  o: O,
): Field<Out<boolean, O>> {
  return leaf(
    "bool",
    o,
    "true or false",
    (raw) => typeof raw === "boolean" ? ok(raw) : no(),
  );
}

/** Options of {@link duration}; `min`/`max` are durations too. */
export interface DurationOptions extends BaseOptions<string> {
  /** Shortest allowed, e.g. `"1s"`. */
  min?: string;
  /** Longest allowed. */
  max?: string;
}

/** A duration like `"90s"` (see {@link parseDuration}); decodes to milliseconds. */
export function duration<const O extends DurationOptions>(
  o: O,
): Field<Out<number, O>> {
  const min = o.min === undefined ? undefined : parseDuration(o.min);
  const max = o.max === undefined ? undefined : parseDuration(o.max);
  return leaf("duration", o, 'a duration like "90s" or "1h30m"', (raw) => {
    if (typeof raw === "number") return no(`add a unit, for example "${raw}s"`);
    if (typeof raw !== "string") return no();
    let ms: number;
    try {
      ms = parseDuration(raw);
    } catch (e) {
      if (e instanceof DurationSyntaxError) return no(e.reason);
      throw e;
    }
    if (min !== undefined && ms < min) {
      return no(`must be at least ${formatDuration(min)}`);
    }
    return max !== undefined && ms > max
      ? no(`must be at most ${formatDuration(max)}`)
      : ok(ms);
  });
}

/** Options of {@link url}. */
export interface UrlOptions extends BaseOptions<string> {
  /** Allowed schemes without ":" or "//", e.g. `["https"]`. */
  schemes: readonly string[];
}

/** An absolute URL with one of `schemes` and a host; no credentials. */
export function url<const O extends UrlOptions>(o: O): Field<Out<string, O>> {
  const list = o.schemes.map((s) => `${s}://`).join(" or ");
  const article = /^[aeiouh]/.test(o.schemes[0] ?? "") ? "an" : "a";
  return leaf("url", o, `${article} ${list} URL`, (raw) => {
    if (typeof raw !== "string" || !URL.canParse(raw)) return no();
    const u = new URL(raw);
    if (!o.schemes.includes(u.protocol.slice(0, -1)) || !raw.includes("://")) {
      return no();
    }
    if (u.hostname === "") return no("missing host");
    if (u.username || u.password) {
      return no("credentials are not allowed in the URL");
    }
    return ok(raw);
  });
}

/** Options of {@link enumOf}. */
export interface EnumOptions<V extends string> extends BaseOptions<V> {
  /** Must be one of the values. */
  default?: V;
}

/** One of `values` (exact, case-sensitive). */
export function enumOf<
  const V extends string,
  const O extends EnumOptions<NoInfer<V>>,
>(
  values: readonly V[],
  o: O,
): Field<Out<V, O>> {
  const expected = "one of " + values.map((v) => JSON.stringify(v)).join(", ");
  const allowed: readonly string[] = values;
  return leaf(
    "enum",
    o,
    expected,
    (raw) =>
      typeof raw === "string" && allowed.includes(raw) ? ok(raw as V) : no(),
    { values },
  );
}

/** An absolute filesystem path (starts with "/", no NUL or newline). */
export function path<const O extends BaseOptions<string>>(
  o: O,
): Field<Out<string, O>> {
  return leaf("path", o, "an absolute path", (raw) => {
    if (typeof raw !== "string" || !raw.startsWith("/")) return no();
    return /[\0\n\r]/.test(raw)
      ? no("control characters are not allowed")
      : ok(raw);
  });
}

/** A `host:port` address such as `127.0.0.1:10000` or `[::1]:10000`. */
export function hostPort<const O extends BaseOptions<string>>(
  o: O,
): Field<Out<string, O>> {
  const expected = 'a host:port address like "127.0.0.1:10000"';
  return leaf("hostPort", o, expected, (raw) => {
    return typeof raw === "string" && parseHostPort(raw) ? ok(raw) : no();
  });
}

/** An IPv4 or IPv6 address. */
export function ip<const O extends BaseOptions<string>>(
  o: O,
): Field<Out<string, O>> {
  return leaf("ip", o, "an IP address", (raw) => {
    return typeof raw === "string" && isIp(raw) ? ok(raw) : no();
  });
}

/** Options of {@link custom}. */
export interface CustomOptions<T> extends BaseOptions<unknown> {
  /** Expected-value phrase, e.g. `a SPIFFE ID`. */
  expected: string;
  /** Check and convert a present value. */
  check: (raw: unknown) => CheckResult<T>;
}

/** The value type a custom check produces. */
export type CheckedType<O> = O extends
  { check: (raw: unknown) => CheckResult<infer T> } ? T
  : never;

/** A field with its own check (SPIFFE IDs, selectors, modes…). */
// deno-lint-ignore no-explicit-any
export function custom<const O extends CustomOptions<any>>(
  o: O,
): Field<Out<CheckedType<O>, O>> {
  return leaf("custom", o, o.expected, o.check);
}

/** Build a passing {@link CheckResult}. */
export const pass = ok;
/** Build a failing {@link CheckResult} with an optional detail. */
export const fail = no;
