import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "./_fixtures/assert.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test("the demo runs end to end, says what it did, and removes its state", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "demo"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, text + new TextDecoder().decode(out.stderr));
  for (
    const expected of [
      "created a root CA",
      "CA hash (the first part of a join token): ",
      "issued the node certificate",
      "stored key + certificate + CA as one crash-safe unit",
      "signed a node intermediate CA",
      "issued a workload X.509-SVID",
      "SPIFFE ID spiffe://example.org/workload/demo, chain of 3",
      "refused: ",
      "revoked = true",
      "identity (600)",
      "done in ",
    ]
  ) assertStringIncludes(text, expected);
  const dir = text.match(/state in (\S+) \(removed/)?.[1];
  assert(dir, "demo names its state directory");
  const gone = await Deno.stat(dir).then(() => false, () => true);
  assert(gone, `demo left ${dir} behind`);
});
