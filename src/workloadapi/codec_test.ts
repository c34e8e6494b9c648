/**
 * The hand-written codec agrees with `proto/workload.proto`: protobufjs
 * (through `@grpc/proto-loader`, as clients use it) is the reference.
 */
import { Buffer } from "node:buffer";
import * as protoLoader from "@grpc/proto-loader";
import {
  assert,
  assertEquals,
  assertThrows,
} from "../../tests/_fixtures/assert.ts";
import {
  decodeEmptyRequest,
  decodeJwtSvidRequest,
  decodeValidateJwtSvidRequest,
  WORKLOAD_API_METHODS,
  type WorkloadMethodName,
} from "./codec.ts";
import { PROTO_PATH } from "./server.ts";
import { toStruct } from "./_struct.ts";
import { Writer } from "./_wire.ts";

/** The definition clients build from the `.proto` (the server's old options). */
const reference = protoLoader.loadSync(PROTO_PATH, {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const service = reference.SpiffeWorkloadAPI as protoLoader.ServiceDefinition;

const isRangeError = (err: unknown) =>
  assert(err instanceof RangeError, `expected a RangeError, got ${err}`);

const bytes = (n: number, seed = 1) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** Our encoding, decoded by protobufjs, equals protobufjs's own round trip. */
function assertResponseAgrees(
  method: WorkloadMethodName,
  message: object,
): void {
  const ours = WORKLOAD_API_METHODS[method].encode(message);
  const ref = service[method];
  assertEquals(
    ref.responseDeserialize(Buffer.from(ours)),
    ref.responseDeserialize(ref.responseSerialize(message)),
    `${method} response`,
  );
}

Deno.test("the service definition has exactly the .proto's methods, paths and stream kinds", () => {
  assertEquals(
    Object.keys(WORKLOAD_API_METHODS).sort(),
    Object.keys(service).sort(),
  );
  for (const [name, m] of Object.entries(service)) {
    const ours = WORKLOAD_API_METHODS[name as WorkloadMethodName];
    assertEquals(
      [ours.path, false, ours.responseStream],
      [m.path, m.requestStream, m.responseStream],
      name,
    );
  }
});

Deno.test("every response encodes to what protobufjs decodes as the same message, defaults and empty fields included", () => {
  const svid = (i: number, hint: string) => ({
    spiffe_id: `spiffe://example.org/workload/${i}`,
    x509_svid: bytes(700 + i, i), // above the writer's inline-copy limit
    x509_svid_key: bytes(138, i + 1),
    bundle: bytes(40, i + 2),
    hint,
  });
  assertResponseAgrees("FetchX509SVID", {
    svids: [svid(1, "db"), svid(2, "")],
    crl: [bytes(3), bytes(0)],
    federated_bundles: {
      "spiffe://a.org": bytes(5),
      "spiffe://b.org": bytes(1),
    },
  });
  assertResponseAgrees("FetchX509SVID", {
    svids: [],
    crl: [],
    federated_bundles: {},
  });
  assertResponseAgrees("FetchX509Bundles", {
    crl: [],
    bundles: { "spiffe://example.org": bytes(900) },
  });
  assertResponseAgrees("FetchJWTSVID", {
    svids: [
      { spiffe_id: "spiffe://example.org/a", svid: "h.p.s", hint: "ü-ñ" },
      { spiffe_id: "spiffe://example.org/b", svid: "x".repeat(3000), hint: "" },
    ],
  });
  assertResponseAgrees("FetchJWTBundles", {
    bundles: {
      "spiffe://example.org": new TextEncoder().encode('{"keys":[]}'),
    },
  });
});

Deno.test("ValidateJWTSVID claims keep every JSON value kind, zero, false, empty string and null included", () => {
  const claims = {
    sub: "spiffe://example.org/a",
    aud: ["x", "", "ü"],
    exp: 1_700_000_000,
    frac: -0.5,
    zero: 0,
    yes: true,
    no: false,
    empty: "",
    nothing: null,
    nested: { list: [1, [true, null], { deep: "v" }], emptyObj: {} },
    emptyList: [],
  };
  assertResponseAgrees("ValidateJWTSVID", {
    spiffe_id: "spiffe://example.org/a",
    claims: toStruct(claims),
  });
  assertResponseAgrees("ValidateJWTSVID", { spiffe_id: "", claims: undefined });
});

Deno.test("requests encoded by protobufjs decode to the objects proto-loader gave the handlers", () => {
  const cases: [WorkloadMethodName, (b: Uint8Array) => unknown, object][] = [
    ["FetchX509SVID", decodeEmptyRequest, {}],
    ["FetchX509Bundles", decodeEmptyRequest, {}],
    ["FetchJWTBundles", decodeEmptyRequest, {}],
    ["FetchJWTSVID", decodeJwtSvidRequest, {
      audience: ["a", "", "ü"],
      spiffe_id: "spiffe://example.org/a",
    }],
    ["FetchJWTSVID", decodeJwtSvidRequest, {}],
    ["ValidateJWTSVID", decodeValidateJwtSvidRequest, {
      audience: "aud",
      svid: "h.p.s",
    }],
    ["ValidateJWTSVID", decodeValidateJwtSvidRequest, { audience: "aud" }],
  ];
  for (const [method, decode, request] of cases) {
    const ref = service[method];
    const wire = ref.requestSerialize(request);
    assertEquals(decode(wire), ref.requestDeserialize(wire), method);
    assertEquals(
      WORKLOAD_API_METHODS[method].decode(wire),
      ref.requestDeserialize(wire),
      method,
    );
  }
});

Deno.test("unknown request fields of every wire type are skipped; truncated or malformed input is refused", () => {
  const w = new Writer()
    .uint(9, 300) // varint
    .double(10, 1.5) // 64-bit
    .string(1, "aud")
    .bytes(11, bytes(3))
    .string(2, "first")
    .string(2, "last"); // proto3: the last value of a singular field wins
  const withI32 = new Uint8Array([...w.finish(), (12 << 3) | 5, 1, 2, 3, 4]);
  assertEquals(decodeJwtSvidRequest(withI32), {
    audience: ["aud"],
    spiffe_id: "last",
  });
  assertEquals(decodeEmptyRequest(withI32), {});
  const valid = new Writer().string(1, "aud").finish();
  assertThrows(() => decodeJwtSvidRequest(valid.subarray(0, 3)), isRangeError);
  assertThrows(() => decodeEmptyRequest(new Uint8Array([0x08])), isRangeError);
  assertThrows(() => decodeEmptyRequest(new Uint8Array([0x0b])), isRangeError); // group
  assertThrows(
    () => decodeEmptyRequest(new Uint8Array([0x00, 0x00])),
    isRangeError,
  );
});
