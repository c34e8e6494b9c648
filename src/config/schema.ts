/**
 * A small schema toolkit for configuration: field builders (leaf and
 * compound), {@link validate} that collects every problem at once, and
 * {@link listFields} to walk a schema (docs, example checks).
 *
 * Messages have one shape: `path: expected X, got Y`, e.g.
 * `hub.httpServer: expected an https:// URL, got "htp://x"`; unknown keys
 * read `identity.upstrem: unknown key (did you mean "upstream"?)`.
 *
 * @example
 * ```ts
 * import * as s from "./schema.ts";
 * const schema = s.object({ port: s.int({ doc: "Port.", default: 80 }) }, { doc: "Root." });
 * const r = s.validate(schema, { port: "80" });
 * // r.ok === false; r.errors[0] === 'port: expected an integer, got "80"'
 * ```
 * @module
 */
import {
  type AnyField,
  type DecodeContext,
  type Field,
  INVALID,
  joinPath,
} from "./_field.ts";

export {
  type AnyField,
  type BaseOptions,
  describeValue,
  type Field,
  type FieldKind,
  type Infer,
  type Presence,
} from "./_field.ts";
export * from "./fields.ts";
export * from "./compound.ts";

/** Outcome of {@link validate}. */
export type ValidationResult<T> =
  | { ok: true; value: T }
  | { ok: false; errors: string[] };

/** One field of a schema, as found by {@link listFields}. */
export interface FieldEntry {
  /** Dotted path; list items appear as `[]`, map values as `.*`. */
  path: string;
  /** The field. */
  field: AnyField;
}

/**
 * Every field in `schema`, depth first, parents before children. The root
 * itself is not listed.
 *
 * @example
 * ```ts
 * listFields(edgeSchema).map((e) => e.path); // ["node", "node.name", …]
 * ```
 */
export function listFields(schema: AnyField, prefix = ""): FieldEntry[] {
  const out: FieldEntry[] = [];
  const visit = (field: AnyField, path: string) => {
    if (field.kind === "object" && field.fields) {
      for (const [key, child] of Object.entries(field.fields)) {
        const p = joinPath(path, key);
        out.push({ path: p, field: child });
        visit(child, p);
      }
    } else if ((field.kind === "list" || field.kind === "map") && field.item) {
      const p = field.kind === "list" ? `${path}[]` : `${path}.*`;
      out.push({ path: p, field: field.item });
      visit(field.item, p);
    }
  };
  visit(schema, prefix);
  return out;
}

/**
 * Validate parsed YAML/JSON against `schema`, applying defaults. Collects
 * every problem (not just the first); `null` or `undefined` input is an
 * empty document.
 *
 * @example
 * ```ts
 * const r = validate(edgeSchema, YAML.parse(text));
 * if (!r.ok) console.error(r.errors.join("\n"));
 * ```
 */
export function validate<T>(
  schema: Field<T>,
  raw: unknown,
): ValidationResult<T> {
  const paths = listFields(schema).map((e) => e.path);
  const ctx: DecodeContext = {
    issues: [],
    findKey: (key) =>
      paths.filter((p) => {
        const last = p.slice(p.lastIndexOf(".") + 1);
        return last.toLowerCase() === key.toLowerCase() && !p.includes("[]");
      }),
  };
  if (
    Array.isArray(raw) ||
    (raw !== null && raw !== undefined && typeof raw !== "object")
  ) {
    const got = Array.isArray(raw) ? "a list" : `a ${typeof raw}`;
    return {
      ok: false,
      errors: [
        `(top level): expected a mapping of settings (key: value), got ${got}`,
      ],
    };
  }
  const value = schema.decode(raw ?? {}, "", ctx);
  if (value === INVALID || ctx.issues.length > 0) {
    return { ok: false, errors: ctx.issues };
  }
  return { ok: true, value };
}
