import {
  assert,
  assertMatch,
  assertThrows,
} from "../../tests/_fixtures/assert.ts";
import { assertName, isValidName } from "./_names.ts";

Deno.test("isValidName accepts lower-case names with dots, dashes and underscores", () => {
  for (
    const ok of [
      "identity",
      "hub-ca",
      "node.key",
      "a",
      "0",
      "x_y.z-1",
      "a".repeat(100),
    ]
  ) {
    assert(isValidName(ok), ok);
  }
});

Deno.test("isValidName rejects slashes, dot-files, upper case and reserved suffixes", () => {
  for (
    const bad of [
      "",
      ".lock",
      "../x",
      "a/b",
      "Identity",
      "-x",
      "a b",
      "x.prev",
      "x.corrupt-1",
      "a".repeat(101),
      "é",
    ]
  ) {
    assert(!isValidName(bad), bad);
  }
});

Deno.test("assertName throws a TypeError that quotes the bad name", () => {
  assertThrows(() => assertName("a/b", "unit name"), (e) => {
    assert(e instanceof TypeError);
    assertMatch(e.message, /Invalid unit name "a\/b": expected \[a-z0-9\]/);
  });
});
