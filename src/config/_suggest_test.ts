import assert from "node:assert/strict";
import { editDistance, suggest } from "./_suggest.ts";

Deno.test("editDistance() counts insertions, deletions and substitutions", () => {
  assert.equal(editDistance("upstrem", "upstream"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("same", "same"), 0);
});

Deno.test("suggest() picks the closest key within distance 2 or by prefix", () => {
  const keys = ["upstream", "token", "tokenFile", "wipeTokenFile", "renewal"];
  assert.equal(suggest("upstrem", keys), "upstream");
  assert.equal(suggest("tokn", keys), "token");
  assert.equal(suggest("TokenFile", keys), "tokenFile");
  assert.equal(suggest("renew", keys), "renewal");
  assert.equal(suggest("wipe", keys), "wipeTokenFile");
  assert.equal(suggest("zzzzzz", keys), undefined);
  assert.equal(suggest("to", ["token"]), undefined);
});
