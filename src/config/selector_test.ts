import assert from "node:assert/strict";
import { parseSelector } from "./selector.ts";

Deno.test("parseSelector() splits known selectors; the value may contain colons", () => {
  assert.deepEqual(parseSelector("unix:uid:1000"), {
    type: "unix",
    key: "uid",
    value: "1000",
  });
  assert.deepEqual(parseSelector("unix:path:/opt/a:b"), {
    type: "unix",
    key: "path",
    value: "/opt/a:b",
  });
  for (
    const ok of [
      "unix:gid:0",
      "unix:user:www-data",
      "unix:group:adm",
      "unix:sha256:" + "ab".repeat(32),
      "container:id:" + "0f".repeat(32),
    ]
  ) {
    assert.equal(parseSelector(ok).value, ok.split(":").slice(2).join(":"));
  }
});

Deno.test("parseSelector() rejects bad syntax, unknown kinds and bad values", () => {
  const cases: [string, RegExp][] = [
    ["unix", /expected "type:key:value"/],
    ["unix:uid", /expected "type:key:value"/],
    ["k8s:ns:default", /unknown kind "k8s:ns"/],
    ["unix:pid:1", /unknown kind "unix:pid"/],
    ["unix:uid:abc", /numeric user ID/],
    ["unix:uid:-1", /numeric user ID/],
    ["unix:uid:4294967295", /numeric user ID/],
    ["unix:gid:", /numeric group ID/],
    ["unix:user:a b", /user name/],
    ["unix:path:bin/sh", /absolute path/],
    ["unix:sha256:ABC", /64 lowercase hex/],
    ["container:id:", /container ID/],
    ["unix:constructor:x", /unknown kind/],
  ];
  for (const [text, reason] of cases) {
    assert.throws(() => parseSelector(text), (e: unknown) => {
      assert.ok(e instanceof SyntaxError);
      assert.match(e.message, reason, text);
      return true;
    });
  }
});
