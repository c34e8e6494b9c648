/**
 * JSON values ↔ `google.protobuf.Struct` in the object form
 * `@grpc/proto-loader` uses (`{ fields: { k: { stringValue: … } } }`).
 * @module
 */

/** A `google.protobuf.Value` object. */
export type ProtoValue =
  | { nullValue: "NULL_VALUE" }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: ProtoStruct }
  | { listValue: { values: ProtoValue[] } };

/** A `google.protobuf.Struct` object. */
export interface ProtoStruct {
  fields: Record<string, ProtoValue>;
}

/** Encode a JSON object as a Struct. */
export function toStruct(obj: Record<string, unknown>): ProtoStruct {
  const fields: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined) fields[k] = toValue(v);
  }
  return { fields };
}

function toValue(v: unknown): ProtoValue {
  if (v === null) return { nullValue: "NULL_VALUE" };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  if (typeof v === "object") {
    return { structValue: toStruct(v as Record<string, unknown>) };
  }
  return { stringValue: String(v) };
}

/** Decode a Struct (as received by a proto-loader client) to JSON. */
export function fromStruct(
  s: ProtoStruct | null | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

function fromValue(v: Record<string, unknown>): unknown {
  if (typeof v.kind === "string") {
    return fromValue({ [v.kind]: v[v.kind] });
  }
  if ("structValue" in v) return fromStruct(v.structValue as ProtoStruct);
  if ("listValue" in v) {
    return ((v.listValue as { values?: ProtoValue[] }).values ?? []).map((x) =>
      fromValue(x as Record<string, unknown>)
    );
  }
  if ("numberValue" in v) return v.numberValue;
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  return null;
}
