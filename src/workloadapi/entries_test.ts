import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { EdgeError } from "../errors.ts";
import { EntryStore, matchEntries, parseRegistrationEntry } from "./entries.ts";

const TD = "example.org";

function refused(f: () => unknown, message: RegExp) {
  throws(
    f,
    (e: unknown) =>
      e instanceof EdgeError && e.code === "ENTRY_INVALID" &&
      message.test(e.message),
  );
}

Deno.test("an entry outside the trust domain, with a root ID, or with a bad selector is refused with the field named", () => {
  refused(
    () =>
      parseRegistrationEntry(
        { spiffeId: "spiffe://other.org/a", selectors: ["unix:uid:1"] },
        TD,
        "c",
        "e",
      ),
    /^e\.spiffeId: .*trust domain "example.org"/,
  );
  refused(
    () =>
      parseRegistrationEntry(
        { spiffeId: "spiffe://example.org", selectors: ["unix:uid:1"] },
        TD,
        "c",
        "e",
      ),
    /^e\.spiffeId: a workload ID needs a path/,
  );
  refused(
    () =>
      parseRegistrationEntry(
        {
          spiffeId: "spiffe://example.org/a",
          selectors: ["unix:uid:1", "unix:pid:3"],
        },
        TD,
        "c",
        "e",
      ),
    /^e\.selectors\[1\]: .*unknown kind/,
  );
  refused(
    () =>
      parseRegistrationEntry(
        { spiffeId: "spiffe://example.org/a", selectors: [] },
        TD,
        "c",
        "e",
      ),
    /^e\.selectors: expected at least one/,
  );
  refused(
    () =>
      parseRegistrationEntry(
        {
          spiffeId: "spiffe://example.org/a",
          selectors: ["unix:uid:1"],
          dnsNames: ["bad name"],
        },
        TD,
        "c",
        "e",
      ),
    /^e\.dnsNames\[0\]/,
  );
});

Deno.test("an entry matches only when all its selectors are in the caller's set", () => {
  const store = new EntryStore(TD);
  store.replace("config", [
    { spiffeId: "spiffe://example.org/a", selectors: ["unix:uid:1000"] },
    {
      spiffeId: "spiffe://example.org/b",
      selectors: ["unix:uid:1000", "unix:gid:50"],
    },
  ]);
  const ids = (sel: string[]) =>
    matchEntries(store.list(), new Set(sel)).map((e) => e.spiffeId);
  assertEquals(ids(["unix:uid:1000", "unix:gid:1000"]), [
    "spiffe://example.org/a",
  ]);
  assertEquals(ids(["unix:uid:1000", "unix:gid:50"]), [
    "spiffe://example.org/a",
    "spiffe://example.org/b",
  ]);
  assertEquals(ids(["unix:uid:1001"]), []);
});

Deno.test("each source replaces only its own entries, watchers are told, and an invalid set changes nothing", () => {
  const store = new EntryStore(TD);
  let calls = 0;
  store.watch(() => calls++);
  store.replace("config", [{
    spiffeId: "spiffe://example.org/a",
    selectors: ["unix:uid:1"],
  }]);
  store.replace("hub", [{
    id: "e1",
    spiffeId: "spiffe://example.org/h",
    selectors: ["unix:uid:2"],
  }]);
  assertEquals(store.list().map((e) => e.id), [
    "config:spiffe://example.org/a|unix:uid:1",
    "hub:e1",
  ]);
  refused(
    () =>
      store.replace("hub", [{
        spiffeId: "spiffe://x.org/h",
        selectors: ["unix:uid:2"],
      }]),
    /hub\.entries\[0\]\.spiffeId/,
  );
  assertEquals(store.list().length, 2);
  store.replace("hub", []);
  assertEquals(store.list().map((e) => e.source), ["config"]);
  assertEquals(calls, 3);
});

Deno.test("an entry in the /node/ namespace is refused: node IDs come only from the hub's CA", () => {
  for (
    const id of ["spiffe://example.org/node/pi-2", "spiffe://example.org/node"]
  ) {
    refused(
      () =>
        parseRegistrationEntry(
          { spiffeId: id, selectors: ["unix:uid:1"] },
          TD,
          "hub",
          "entries[0]",
        ),
      /^entries\[0\]\.spiffeId: the path "\/node\/…" is reserved/,
    );
  }
  // A similar-looking path outside the namespace is fine.
  parseRegistrationEntry(
    { spiffeId: "spiffe://example.org/nodes/x", selectors: ["unix:uid:1"] },
    TD,
    "hub",
  );
});
