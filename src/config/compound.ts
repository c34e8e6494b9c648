/**
 * Compound field builders of the schema toolkit: {@link object} (with
 * unknown-key detection and cross-field rules), {@link list} and {@link map}.
 *
 * Compound decoders return partial values when children fail (failed
 * children become `undefined`) so enclosing cross-field rules still run;
 * {@link validate} rejects any result that came with issues.
 * @module
 */
import {
  type AnyField,
  type BaseOptions,
  checkDefault,
  type DecodeContext,
  type Field,
  type Infer,
  INVALID,
  joinPath,
  type Out,
  presenceOf,
  reportMismatch,
  resolveField,
  showPath,
} from "./_field.ts";
import { suggest } from "./_suggest.ts";

/** Sub-fields of an object. */
export type Shape = Readonly<Record<string, AnyField>>;

/** The decoded type of an object with `S` fields. */
export type ObjectOf<S extends Shape> = {
  -readonly [K in keyof S]: Infer<S[K]>;
};

/** Recursively optional view handed to cross-field rules. */
export type Loose<T> = T extends readonly (infer U)[] ? Loose<U>[]
  : T extends object ? { [K in keyof T]?: Loose<T[K]> }
  : T;

/** Report a cross-field problem at `relPath` (relative to the object). */
export type Report = (relPath: string, message: string) => void;

/** Options of {@link object}. */
export interface ObjectOptions<T> extends Omit<BaseOptions<never>, "default"> {
  /**
   * Cross-field rules. Runs even when some fields were invalid; those are
   * `undefined` in `value`, so check before use.
   */
  refine?: (value: Loose<T>, report: Report) => void;
}

function isMapping(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw);
}

/** `parent` + a relative path such as `a.b[0].c` (already in path syntax). */
function subPath(parent: string, rel: string): string {
  if (rel === "" || parent === "") return parent + rel;
  return rel.startsWith("[") ? parent + rel : `${parent}.${rel}`;
}

function unknownKey(
  key: string,
  path: string,
  known: string[],
  ctx: DecodeContext,
): void {
  const where = showPath(joinPath(path, key));
  const near = suggest(key, known);
  if (near) {
    ctx.issues.push(`${where}: unknown key (did you mean "${near}"?)`);
    return;
  }
  const elsewhere = ctx.findKey(key);
  if (elsewhere.length > 0) {
    const list = elsewhere.map((p) => `"${p}"`).join(" or ");
    ctx.issues.push(`${where}: unknown key (did you mean ${list}?)`);
    return;
  }
  const all = known.map((k) => `"${k}"`).join(", ");
  ctx.issues.push(`${where}: unknown key (expected one of ${all})`);
}

/**
 * A mapping with a fixed set of keys. Unknown keys are reported with a
 * did-you-mean suggestion. Absent → decoded from `{}` (so defaults apply),
 * or `undefined` when `optional`.
 */
export function object<
  const S extends Shape,
  const O extends ObjectOptions<ObjectOf<S>>,
>(
  fields: S,
  o: O,
): Field<Out<ObjectOf<S>, O>> {
  const known = Object.keys(fields);
  const field: Field<ObjectOf<S>> = {
    kind: "object",
    doc: o.doc,
    presence: presenceOf(o),
    defaultRaw: undefined,
    expected: "a mapping",
    secret: false,
    fields,
    decode(raw, path, ctx) {
      if (!isMapping(raw)) return reportMismatch(ctx, path, field, raw);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(raw)) {
        if (!Object.hasOwn(fields, key)) unknownKey(key, path, known, ctx);
        else {out[key] = resolveField(
            fields[key],
            raw[key],
            joinPath(path, key),
            ctx,
          );}
      }
      for (const key of known) {
        if (!Object.hasOwn(out, key)) {
          out[key] = resolveField(
            fields[key],
            undefined,
            joinPath(path, key),
            ctx,
          );
        }
      }
      const loose: Record<string, unknown> = {};
      for (const key of known) {
        loose[key] = out[key] === INVALID ? undefined : out[key];
      }
      o.refine?.(loose as Loose<ObjectOf<S>>, (rel, message) => {
        ctx.issues.push(
          `${showPath(subPath(path, rel))}: ${message}`,
        );
      });
      // Partial on error: parents' cross-field rules still see valid parts;
      // validate() rejects the whole result when any issue was pushed.
      return loose as ObjectOf<S>;
    },
  };
  return field;
}

/** Options of {@link list}. */
export interface ListOptions extends BaseOptions<unknown[]> {
  /** Fewest items allowed. @default 0 */
  minItems?: number;
}

/** A list whose items all match `item`; invalid items are reported by index. */
export function list<const I extends AnyField, const O extends ListOptions>(
  item: I,
  o: O,
): Field<Out<Infer<I>[], O>> {
  const min = o.minItems ?? 0;
  const field: Field<Infer<I>[]> = {
    kind: "list",
    doc: o.doc,
    presence: presenceOf(o),
    defaultRaw: o.default,
    expected: min > 0
      ? `a list of at least ${min} item${min > 1 ? "s" : ""}`
      : "a list",
    secret: false,
    item,
    decode(raw, path, ctx) {
      if (!Array.isArray(raw) || raw.length < min) {
        return reportMismatch(ctx, path, field, raw);
      }
      return raw.map((r, i) => {
        const v = item.decode(r, joinPath(path, i), ctx);
        return v === INVALID ? undefined : v;
      });
    },
  };
  checkDefault(field);
  return field;
}

/** A mapping from free-form keys to values matching `item`. */
export function map<
  const I extends AnyField,
  const O extends BaseOptions<Record<string, unknown>>,
>(
  item: I,
  o: O,
): Field<Out<Record<string, Infer<I>>, O>> {
  const field: Field<Record<string, Infer<I>>> = {
    kind: "map",
    doc: o.doc,
    presence: presenceOf(o),
    defaultRaw: o.default,
    expected: "a mapping",
    secret: false,
    item,
    decode(raw, path, ctx) {
      if (!isMapping(raw)) return reportMismatch(ctx, path, field, raw);
      const out: Record<string, Infer<I>> = {};
      for (const [key, value] of Object.entries(raw)) {
        const v = item.decode(value, joinPath(path, key), ctx);
        const decoded = v === INVALID ? undefined : v;
        Object.defineProperty(out, key, {
          value: decoded,
          enumerable: true,
          writable: true,
        });
      }
      return out;
    },
  };
  checkDefault(field);
  return field;
}
