import assert from "node:assert/strict";
import {
  isMemberOf,
  isRoot,
  parseSpiffeId,
  SpiffeIdError,
  spiffeIdFromParts,
  type SpiffeIdRule,
} from "./mod.ts";
import { isEdgeError } from "../errors.ts";

const TD_255 = "a".repeat(255);
const LONG_PATH = "/" + "s".repeat(2048 - "spiffe://td/".length);

const invalid: [input: string, rule: SpiffeIdRule][] = [
  ["", "empty"],
  ["example.org/workload", "scheme"],
  ["https://example.org/workload", "scheme"],
  ["SPIFFE://example.org/workload", "scheme"],
  ["Spiffe://example.org/workload", "scheme"],
  [" spiffe://example.org/workload", "scheme"],
  ["spiffe:example.org/workload", "authority"],
  ["spiffe:/example.org/workload", "authority"],
  ["spiffe://", "trust_domain_missing"],
  ["spiffe:///workload", "trust_domain_missing"],
  ["spiffe://Example.org/x", "trust_domain_chars"],
  ["spiffe://exa mple.org/x", "trust_domain_chars"],
  ["spiffe://exämple.org/x", "trust_domain_chars"],
  ["spiffe://example!org/x", "trust_domain_chars"],
  ["spiffe://" + TD_255 + "a/x", "trust_domain_too_long"],
  ["spiffe://user@example.org/x", "userinfo"],
  ["spiffe://user:pw@example.org/x", "userinfo"],
  ["spiffe://example.org:8443/x", "port"],
  ["spiffe://example.org:/x", "port"],
  ["spiffe://example%2eorg/x", "percent_encoding"],
  ["spiffe://example.org/a%2Fb", "percent_encoding"],
  ["spiffe://example.org/x?y=1", "query"],
  ["spiffe://example.org?y=1", "query"],
  ["spiffe://example.org/x#frag", "fragment"],
  ["spiffe://example.org#frag?x", "fragment"],
  ["spiffe://example.org//x", "path_empty_segment"],
  ["spiffe://example.org/a//b", "path_empty_segment"],
  ["spiffe://example.org/./x", "path_dot_segment"],
  ["spiffe://example.org/a/..", "path_dot_segment"],
  ["spiffe://example.org/", "path_trailing_slash"],
  ["spiffe://example.org/a/b/", "path_trailing_slash"],
  ["spiffe://example.org/a b", "path_segment_chars"],
  ["spiffe://example.org/a/ü", "path_segment_chars"],
  ["spiffe://example.org/a:b", "path_segment_chars"],
  ["spiffe://example.org/a\\b", "path_segment_chars"],
  ["spiffe://td" + LONG_PATH + "s", "too_long"],
];

for (const [input, rule] of invalid) {
  Deno.test(`parseSpiffeId() rejects ${JSON.stringify(input.slice(0, 60))} with rule ${rule}`, () => {
    assert.throws(() => parseSpiffeId(input), (e: unknown) => {
      assert.ok(e instanceof SpiffeIdError, String(e));
      assert.ok(isEdgeError(e, "SPIFFE_ID_INVALID"));
      assert.equal(e.rule, rule);
      if (input.length < 120) {
        assert.ok(
          e.message.startsWith(`spiffe ID ${JSON.stringify(input)}: `),
          e.message,
        );
      }
      assert.ok(e.message.endsWith(e.reason));
      return true;
    });
  });
}

const valid: [input: string, td: string, path: string][] = [
  ["spiffe://example.org", "example.org", ""],
  ["spiffe://example.org/workload", "example.org", "/workload"],
  [
    "spiffe://example.org/ns/Prod/sa/web-1_a.b",
    "example.org",
    "/ns/Prod/sa/web-1_a.b",
  ],
  ["spiffe://a-b_c.9/x", "a-b_c.9", "/x"],
  ["spiffe://td/...", "td", "/..."],
  ["spiffe://td/.a/..b", "td", "/.a/..b"],
  ["spiffe://" + TD_255 + "/x", TD_255, "/x"],
  ["spiffe://td" + LONG_PATH, "td", LONG_PATH],
];

for (const [input, td, path] of valid) {
  Deno.test(`parseSpiffeId() accepts ${JSON.stringify(input.slice(0, 60))}`, () => {
    const id = parseSpiffeId(input);
    assert.equal(id.trustDomain.name, td);
    assert.equal(id.path, path);
    assert.equal(id.toString(), input);
    assert.equal(`${id}`, input);
    assert.equal(JSON.stringify({ id }), JSON.stringify({ id: input }));
  });
}

Deno.test("the error message says which rule was broken and quotes the input", () => {
  assert.throws(() => parseSpiffeId("spiffe://Example.org/x"), {
    code: "SPIFFE_ID_INVALID",
    rule: "trust_domain_chars",
    message:
      'spiffe ID "spiffe://Example.org/x": trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores',
  });
});

Deno.test("a very long rejected input is shortened in the message", () => {
  const input = "spiffe://td/" + "x".repeat(3000);
  assert.throws(() => parseSpiffeId(input), (e: unknown) => {
    assert.ok(e instanceof SpiffeIdError);
    assert.equal(e.rule, "too_long");
    assert.ok(e.message.length < 250, e.message);
    return true;
  });
});

Deno.test("parseSpiffeId() throws TypeError for a non-string", () => {
  assert.throws(() => parseSpiffeId(42 as unknown as string), TypeError);
});

Deno.test("spiffeIdFromParts() joins validated segments", () => {
  const id = spiffeIdFromParts("example.org", "node", "pi-1");
  assert.equal(id.toString(), "spiffe://example.org/node/pi-1");
  assert.equal(
    spiffeIdFromParts("spiffe://example.org").toString(),
    "spiffe://example.org",
  );
  assert.ok(id.equals(parseSpiffeId("spiffe://example.org/node/pi-1")));
  assert.ok(!id.equals(parseSpiffeId("spiffe://example.org/node/pi-2")));
});

Deno.test("spiffeIdFromParts() rejects each bad segment with its rule", () => {
  const cases: [string, SpiffeIdRule][] = [
    ["", "path_empty_segment"],
    [".", "path_dot_segment"],
    ["..", "path_dot_segment"],
    ["a/b", "path_segment_chars"],
    ["a%20", "percent_encoding"],
    ["x".repeat(2048), "too_long"],
  ];
  for (const [seg, rule] of cases) {
    assert.throws(() => spiffeIdFromParts("example.org", "ok", seg), { rule });
  }
  assert.throws(() => spiffeIdFromParts("Example.org", "x"), {
    rule: "trust_domain_chars",
  });
});

Deno.test("isMemberOf() compares trust domains given as object, name or ID", () => {
  const id = parseSpiffeId("spiffe://example.org/a");
  assert.ok(isMemberOf(id, "example.org"));
  assert.ok(isMemberOf(id, "spiffe://example.org"));
  assert.ok(isMemberOf(id, id.trustDomain));
  assert.ok(!isMemberOf(id, "example.com"));
  assert.ok(!isMemberOf(id, "sub.example.org"));
  assert.throws(() => isMemberOf(id, "Example.org"), SpiffeIdError);
});

Deno.test("isRoot() is true only for an empty path (leaves need a path)", () => {
  assert.ok(isRoot(parseSpiffeId("spiffe://example.org")));
  assert.ok(!isRoot(parseSpiffeId("spiffe://example.org/w")));
});
