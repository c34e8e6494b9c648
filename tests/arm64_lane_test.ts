/**
 * The arm64 test lane: scripts/arm64-lane.sh runs the end-to-end demo with
 * the aarch64 Deno under qemu-user emulation. Slow (about 4-5 minutes on a
 * 2-core machine): everything, including each child process, is emulated.
 */
import { assertEquals, assertStringIncludes } from "./_fixtures/assert.ts";

const root = new URL("..", import.meta.url).pathname;

Deno.test("the end-to-end demo passes on aarch64 under qemu-user, every process in it is aarch64, and the libcrypto signer works there", async () => {
  const out = await new Deno.Command("bash", {
    args: [`${root}/scripts/arm64-lane.sh`],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, text);
  assertStringIncludes(text, "Deno.build.target=aarch64-unknown-linux-gnu");
  assertStringIncludes(
    text,
    "child Deno.build.target=aarch64-unknown-linux-gnu",
  );
  for (
    const step of [
      "SPIFFE_ENDPOINT_SOCKET=unix:///",
      "chain leaf → node intermediate → hub CA verified",
      "ES256 JWT for spiffe://example.org/workload/demo",
      "rotated while the hub was down",
      "demo finished in ",
      "OK: the demo passed on aarch64-unknown-linux-gnu",
      "OK: libcrypto keys and signatures work on aarch64-unknown-linux-gnu",
    ]
  ) assertStringIncludes(text, step);
});
