import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "./_fixtures/assert.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test("the demo runs hub, runtime and a workload end to end (SVIDs, offline rotation, messages across a hub restart) and cleans up", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "demo"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text + err);
  for (
    const expected of [
      "start the reference hub",
      "hub CA hash ",
      "create a single-use join token",
      "SPIFFE_ENDPOINT_SOCKET=unix:///",
      "spiffe://example.org/workload/demo: serial ",
      "chain leaf → node intermediate → hub CA verified",
      "ES256 JWT for spiffe://example.org/workload/demo",
      "MESSAGE_SOCKET=/",
      '"resource":"demo/telemetry"',
      "rotated while the hub was down",
      "202 Accepted; the message waits in the durable outbox",
      "restart the hub: the link comes back",
      '"resource":"demo/offline"',
      "demo finished in ",
    ]
  ) assertStringIncludes(text, expected);
  // The join token is a secret: written to a 0600 file, never printed.
  assert(
    !/[0-9a-f]{64}\.eyJ/.test(text + err),
    "the demo printed the join token",
  );
  const dir = text.match(/everything lives in (\S+) \(removed/)?.[1];
  assert(dir, "the demo names its directory");
  const gone = await Deno.stat(dir).then(() => false, () => true);
  assert(gone, `the demo left ${dir} behind`);
});
