import assert from "node:assert/strict";
import * as s from "./schema.ts";

const schema = s.object({
  name: s.string({ doc: "Name." }),
  port: s.int({ doc: "Port.", default: 80, min: 1, max: 65535 }),
  ratio: s.number({ doc: "Ratio.", default: 0.5, min: 0, max: 1 }),
  debug: s.bool({ doc: "Debug.", default: false }),
  wait: s.duration({ doc: "Wait.", default: "15s", min: "1s" }),
  server: s.url({
    doc: "Server.",
    schemes: ["https"],
    default: "https://127.0.0.1:1",
  }),
  level: s.enumOf(["low", "high"], { doc: "Level.", default: "low" }),
  dir: s.path({ doc: "Dir.", default: "/var/lib/x" }),
  listen: s.hostPort({ doc: "Listen.", default: "127.0.0.1:10000" }),
  addr: s.ip({ doc: "Address.", optional: true }),
  secret: s.string({ doc: "Secret.", optional: true, secret: true }),
  tags: s.list(s.string({ doc: "Tag." }), { doc: "Tags.", default: ["a"] }),
  labels: s.map(s.int({ doc: "Label." }), { doc: "Labels.", default: {} }),
  nested: s.object({
    upstream: s.enumOf(["hub", "vault"], { doc: "Upstream.", default: "hub" }),
    items: s.list(
      s.object({ id: s.string({ doc: "ID." }) }, { doc: "Item." }),
      { doc: "Items.", default: [], minItems: 0 },
    ),
  }, { doc: "Nested." }),
  extra: s.object({ on: s.bool({ doc: "On." }) }, {
    doc: "Extra.",
    optional: true,
  }),
}, { doc: "Root." });

function errorsOf(raw: unknown): string[] {
  const r = s.validate(schema, raw);
  assert.ok(!r.ok, "expected validation to fail");
  return r.errors;
}

Deno.test("validate() applies defaults and leaves optional fields undefined", () => {
  const r = s.validate(schema, { name: "n" });
  assert.ok(r.ok);
  const v = r.value;
  const port: number = v.port; // typed: no undefined
  const addr: string | undefined = v.addr;
  assert.equal(port, 80);
  assert.equal(addr, undefined);
  assert.equal(v.wait, 15_000);
  assert.equal(v.level, "low");
  assert.deepEqual(v.tags, ["a"]);
  assert.deepEqual(v.nested, { upstream: "hub", items: [] });
  assert.equal(v.extra, undefined);
});

Deno.test("a null value means 'use the default'", () => {
  const r = s.validate(schema, { name: "n", port: null, nested: null });
  assert.ok(r.ok);
  assert.equal(r.value.port, 80);
  assert.equal(r.value.nested.upstream, "hub");
});

Deno.test("defaults are fresh copies for every validation", () => {
  const a = s.validate(schema, { name: "n" });
  assert.ok(a.ok);
  a.value.tags.push("mutated");
  const b = s.validate(schema, { name: "n" });
  assert.ok(b.ok);
  assert.deepEqual(b.value.tags, ["a"]);
});

Deno.test("every problem is reported at once, each with its full path", () => {
  const errors = errorsOf({
    port: "80",
    ratio: 2,
    debug: "yes",
    wait: "10",
    server: "htp://x",
    level: "HIGH",
    dir: "relative",
    listen: "127.0.0.1",
    addr: "300.1.1.1",
    tags: ["ok", 5, ""],
    labels: { a: 1, b: "two" },
    nested: { items: [{ id: "x" }, { id: 3 }, null] },
    extra: [],
  });
  assert.deepEqual(errors, [
    'port: expected an integer from 1 to 65535, got "80"',
    "ratio: expected a number from 0 to 1, got 2",
    'debug: expected true or false, got "yes"',
    'wait: expected a duration like "90s" or "1h30m", got "10" (missing unit, for example "s", "m" or "h")',
    'server: expected an https:// URL, got "htp://x"',
    'level: expected one of "low", "high", got "HIGH"',
    'dir: expected an absolute path, got "relative"',
    'listen: expected a host:port address like "127.0.0.1:10000", got "127.0.0.1"',
    'addr: expected an IP address, got "300.1.1.1"',
    "tags[1]: expected a non-empty string, got 5",
    'tags[2]: expected a non-empty string, got ""',
    'labels.b: expected an integer, got "two"',
    "nested.items[1].id: expected a non-empty string, got 3",
    "nested.items[2]: expected a mapping, got null",
    "extra: expected a mapping, got an empty list",
    "name: required field is missing (expected a non-empty string)",
  ]);
});

Deno.test("integers reject fractions and durations below the minimum", () => {
  assert.deepEqual(errorsOf({ name: "n", port: 1.5, wait: "500ms" }), [
    "port: expected an integer from 1 to 65535, got 1.5",
    'wait: expected a duration like "90s" or "1h30m", got "500ms" (must be at least 1s)',
  ]);
});

Deno.test("unknown keys get a did-you-mean suggestion, here or in another section", () => {
  assert.deepEqual(
    errorsOf({
      name: "n",
      prot: 1,
      nested: { upstrem: "hub" },
      upstream: "x",
      zzz: 1,
    }),
    [
      'prot: unknown key (did you mean "port"?)',
      'nested.upstrem: unknown key (did you mean "upstream"?)',
      'upstream: unknown key (did you mean "nested.upstream"?)',
      'zzz: unknown key (expected one of "name", "port", "ratio", "debug", "wait", "server", "level", "dir", "listen", "addr", "secret", "tags", "labels", "nested", "extra")',
    ],
  );
});

Deno.test("odd keys are quoted in paths", () => {
  assert.deepEqual(errorsOf({ name: "n", labels: { "a b": "x" } }), [
    'labels["a b"]: expected an integer, got "x"',
  ]);
});

Deno.test("secret values and URL credentials never appear in messages", () => {
  const errors = errorsOf({
    name: "n",
    secret: 12345,
    server: "https://user:pw@h",
  });
  assert.deepEqual(errors, [
    "secret: expected a non-empty string, got a number (value hidden)",
    'server: expected an https:// URL, got "https://***@h" (credentials are not allowed in the URL)',
  ]);
});

Deno.test("a wrong top-level type is reported clearly", () => {
  assert.deepEqual(errorsOf([1, 2]), [
    "(top level): expected a mapping of settings (key: value), got a list",
  ]);
  assert.deepEqual(errorsOf("text"), [
    "(top level): expected a mapping of settings (key: value), got a string",
  ]);
  assert.deepEqual(errorsOf(null), [
    "name: required field is missing (expected a non-empty string)",
  ]);
});

Deno.test("cross-field rules see partial values and report relative paths", () => {
  const ranged = s.object({
    min: s.int({ doc: "Min.", default: 1 }),
    max: s.int({ doc: "Max.", default: 2 }),
    bad: s.int({ doc: "Bad.", optional: true }),
  }, {
    doc: "Range.",
    refine: (v, report) => {
      if (v.min !== undefined && v.max !== undefined && v.min > v.max) {
        report("min", `expected at most max (${v.max}), got ${v.min}`);
      }
    },
  });
  const root = s.object({ range: ranged }, { doc: "Root." });
  const r = s.validate(root, { range: { min: 5, max: 3, bad: "x" } });
  assert.deepEqual(r, {
    ok: false,
    errors: [
      'range.bad: expected an integer, got "x"',
      "range.min: expected at most max (3), got 5",
    ],
  });
});

Deno.test("a schema with an invalid default is rejected when built", () => {
  assert.throws(() => s.duration({ doc: "D.", default: "10" }), TypeError);
  assert.throws(
    () => s.url({ doc: "U.", schemes: ["https"], default: "http://x" }),
    TypeError,
  );
  assert.throws(
    () => s.string({ doc: "S.", default: "x", optional: true }),
    TypeError,
  );
});

Deno.test("url() lists several schemes and needs a host", () => {
  const f = s.object({
    u: s.url({ doc: "U.", schemes: ["http", "https"], optional: true }),
  }, { doc: "R." });
  assert.ok(s.validate(f, { u: "http://127.0.0.1:8200" }).ok);
  assert.deepEqual(s.validate(f, { u: "ftp://x" }), {
    ok: false,
    errors: ['u: expected an http:// or https:// URL, got "ftp://x"'],
  });
  assert.equal(s.validate(f, { u: "https:x" }).ok, false);
});

Deno.test("listFields() walks objects, list items and map values", () => {
  const paths = s.listFields(schema).map((e) => e.path);
  for (
    const p of [
      "name",
      "nested.upstream",
      "nested.items",
      "nested.items[]",
      "nested.items[].id",
      "labels.*",
      "tags[]",
    ]
  ) {
    assert.ok(paths.includes(p), p);
  }
});
