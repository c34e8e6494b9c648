/**
 * The Workload API's messages on the wire, written by hand from
 * `proto/workload.proto` (and `google/protobuf/struct.proto` for the
 * claims), and the service's method table.
 *
 * The server needs only two directions — requests in, responses out — so
 * this replaces `@grpc/proto-loader` and protobufjs, which parsed the
 * `.proto` text and generated codecs at every start (~100 ms of CPU and a
 * few MiB of heap on a device). `codec_test.ts` proves the two agree with
 * the `.proto`: every response encoded here decodes with protobufjs to the
 * same object, and every request protobufjs encodes decodes here to what
 * proto-loader (`keepCase`, `defaults`) gave the handlers.
 *
 * Object shapes are proto-loader's (snake_case fields, bytes as
 * `Uint8Array`, maps as records, `Struct` as `{ fields: { k: { stringValue } } }`),
 * so handlers did not change. Encoding is canonical proto3: scalar fields
 * at their default value are omitted, except inside a oneof.
 * @module
 */
import type { ProtoStruct, ProtoValue } from "./_struct.ts";
import { fields, LEN, text, Writer } from "./_wire.ts";

/** `X509SVID`. */
export interface X509SvidMessage {
  spiffe_id: string;
  x509_svid: Uint8Array;
  x509_svid_key: Uint8Array;
  bundle: Uint8Array;
  hint: string;
}

/** `X509SVIDResponse`. */
export interface X509SvidResponse {
  svids: X509SvidMessage[];
  crl?: Uint8Array[];
  federated_bundles?: Record<string, Uint8Array>;
}

/** `X509BundlesResponse`. */
export interface X509BundlesResponse {
  crl?: Uint8Array[];
  bundles: Record<string, Uint8Array>;
}

/** `JWTSVID`. */
export interface JwtSvidMessage {
  spiffe_id: string;
  svid: string;
  hint: string;
}

/** `JWTSVIDResponse`. */
export interface JwtSvidResponse {
  svids: JwtSvidMessage[];
}

/** `JWTBundlesResponse`. */
export interface JwtBundlesResponse {
  bundles: Record<string, Uint8Array>;
}

/** `ValidateJWTSVIDResponse`. */
export interface ValidateJwtSvidResponse {
  spiffe_id: string;
  claims?: ProtoStruct;
}

/** `JWTSVIDRequest` as the handler sees it (defaults filled in). */
export interface JwtSvidRequest {
  audience: string[];
  spiffe_id: string;
}

/** `ValidateJWTSVIDRequest` as the handler sees it (defaults filled in). */
export interface ValidateJwtSvidRequest {
  audience: string;
  svid: string;
}

// ---- responses

function str(w: Writer, field: number, s: string | undefined): void {
  if (s) w.string(field, s);
}

function bin(w: Writer, field: number, b: Uint8Array | undefined): void {
  if (b && b.length > 0) w.bytes(field, b);
}

function bytesMap(
  w: Writer,
  field: number,
  map: Record<string, Uint8Array> | undefined,
): void {
  for (const [k, v] of Object.entries(map ?? {})) {
    w.message(field, (e) => {
      e.string(1, k);
      e.bytes(2, v);
    });
  }
}

/** Encode an `X509SVIDResponse`. */
export function encodeX509SvidResponse(m: X509SvidResponse): Uint8Array {
  const w = new Writer();
  for (const s of m.svids) {
    w.message(1, (x) => {
      str(x, 1, s.spiffe_id);
      bin(x, 2, s.x509_svid);
      bin(x, 3, s.x509_svid_key);
      bin(x, 4, s.bundle);
      str(x, 5, s.hint);
    });
  }
  for (const c of m.crl ?? []) w.bytes(2, c);
  bytesMap(w, 3, m.federated_bundles);
  return w.finish();
}

/** Encode an `X509BundlesResponse`. */
export function encodeX509BundlesResponse(m: X509BundlesResponse): Uint8Array {
  const w = new Writer();
  for (const c of m.crl ?? []) w.bytes(1, c);
  bytesMap(w, 2, m.bundles);
  return w.finish();
}

/** Encode a `JWTSVIDResponse`. */
export function encodeJwtSvidResponse(m: JwtSvidResponse): Uint8Array {
  const w = new Writer();
  for (const s of m.svids) {
    w.message(1, (x) => {
      str(x, 1, s.spiffe_id);
      str(x, 2, s.svid);
      str(x, 3, s.hint);
    });
  }
  return w.finish();
}

/** Encode a `JWTBundlesResponse`. */
export function encodeJwtBundlesResponse(m: JwtBundlesResponse): Uint8Array {
  const w = new Writer();
  bytesMap(w, 1, m.bundles);
  return w.finish();
}

function writeStruct(w: Writer, s: ProtoStruct): void {
  for (const [k, v] of Object.entries(s.fields ?? {})) {
    w.message(1, (e) => {
      e.string(1, k);
      e.message(2, (x) => writeValue(x, v));
    });
  }
}

/** `google.protobuf.Value`: a oneof, so even default values are written. */
function writeValue(w: Writer, v: ProtoValue): void {
  if ("nullValue" in v) w.uint(1, 0);
  else if ("numberValue" in v) w.double(2, v.numberValue);
  else if ("stringValue" in v) w.string(3, v.stringValue);
  else if ("boolValue" in v) w.uint(4, v.boolValue ? 1 : 0);
  else if ("structValue" in v) {
    w.message(5, (x) => writeStruct(x, v.structValue));
  } else if ("listValue" in v) {
    w.message(6, (l) => {
      for (const item of v.listValue.values ?? []) {
        l.message(1, (x) => writeValue(x, item));
      }
    });
  }
}

/** Encode a `ValidateJWTSVIDResponse`. */
export function encodeValidateJwtSvidResponse(
  m: ValidateJwtSvidResponse,
): Uint8Array {
  const w = new Writer();
  str(w, 1, m.spiffe_id);
  if (m.claims) w.message(2, (x) => writeStruct(x, m.claims!));
  return w.finish();
}

// ---- requests

/** Decode a request without fields of interest (unknown fields skipped). */
export function decodeEmptyRequest(buf: Uint8Array): Record<never, never> {
  for (const _ of fields(buf)) { /* proto3: unknown fields are ignored */ }
  return {};
}

/** Decode a `JWTSVIDRequest`. */
export function decodeJwtSvidRequest(buf: Uint8Array): JwtSvidRequest {
  const m: JwtSvidRequest = { audience: [], spiffe_id: "" };
  for (const f of fields(buf)) {
    if (f.wireType !== LEN) continue;
    if (f.field === 1) m.audience.push(text(f.value));
    else if (f.field === 2) m.spiffe_id = text(f.value);
  }
  return m;
}

/** Decode a `ValidateJWTSVIDRequest`. */
export function decodeValidateJwtSvidRequest(
  buf: Uint8Array,
): ValidateJwtSvidRequest {
  const m: ValidateJwtSvidRequest = { audience: "", svid: "" };
  for (const f of fields(buf)) {
    if (f.wireType !== LEN) continue;
    if (f.field === 1) m.audience = text(f.value);
    else if (f.field === 2) m.svid = text(f.value);
  }
  return m;
}

// ---- the service

/** A method of the service: its path, kind and codec. */
export interface WorkloadMethodCodec {
  /** `/SpiffeWorkloadAPI/<Method>`. */
  path: string;
  /** Server streaming (all requests are single messages). */
  responseStream: boolean;
  /** Request bytes → request object. */
  // deno-lint-ignore no-explicit-any
  decode(bytes: Uint8Array): any;
  /** Response object → bytes. */
  // deno-lint-ignore no-explicit-any
  encode(message: any): Uint8Array;
}

const method = (
  name: string,
  responseStream: boolean,
  decode: WorkloadMethodCodec["decode"],
  encode: WorkloadMethodCodec["encode"],
): WorkloadMethodCodec => ({
  path: `/SpiffeWorkloadAPI/${name}`,
  responseStream,
  decode,
  encode,
});

/** The `SpiffeWorkloadAPI` service (no package: paths are `/SpiffeWorkloadAPI/<Method>`). */
export const WORKLOAD_API_METHODS = {
  FetchX509SVID: method(
    "FetchX509SVID",
    true,
    decodeEmptyRequest,
    encodeX509SvidResponse,
  ),
  FetchX509Bundles: method(
    "FetchX509Bundles",
    true,
    decodeEmptyRequest,
    encodeX509BundlesResponse,
  ),
  FetchJWTSVID: method(
    "FetchJWTSVID",
    false,
    decodeJwtSvidRequest,
    encodeJwtSvidResponse,
  ),
  FetchJWTBundles: method(
    "FetchJWTBundles",
    true,
    decodeEmptyRequest,
    encodeJwtBundlesResponse,
  ),
  ValidateJWTSVID: method(
    "ValidateJWTSVID",
    false,
    decodeValidateJwtSvidRequest,
    encodeValidateJwtSvidResponse,
  ),
} as const;

/** Method names of the service. */
export type WorkloadMethodName = keyof typeof WORKLOAD_API_METHODS;
