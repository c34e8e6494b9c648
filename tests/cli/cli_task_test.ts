/**
 * The `cli` task runs src/main.ts with exactly the flags the compiled binary
 * gets (scripts/compile.ts reads them from that task). These tests run the
 * program the same way, as a separate process.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { cliFlags, TARGETS } from "../../scripts/_build.ts";
import { ROOT as root, runBinary } from "../_fixtures/cli.ts";

Deno.test("the cli task's flags grant no blanket permission and enable QUIC", async () => {
  const flags = await cliFlags(root);
  assert(
    !flags.includes("--allow-all") && !flags.includes("-A"),
    flags.join(" "),
  );
  assert(flags.includes("--unstable-net"), "QUIC needs --unstable-net");
  assert(flags.includes("--allow-ffi"), "SO_PEERCRED needs --allow-ffi");
  // under `deno run`, every literal dynamic import (the hub, every command)
  // would otherwise be loaded before main.ts runs: ~20 ms of each start
  assert(
    flags.includes("--unstable-lazy-dynamic-imports"),
    "the runtime loads its parts when they start",
  );
});

Deno.test("the compile task builds both Linux targets", () => {
  assertEquals(TARGETS.map((t) => t.triple), [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
  ]);
});

Deno.test("hub --help behaves like the binary: usage on stdout, exit 0", async () => {
  const r = await runBinary("hub", "--help");
  assertEquals(r.code, 0, r.stderr);
  assertStringIncludes(r.stdout, "edge-runtime hub --config FILE");
});

Deno.test("an unknown flag exits 2 with the flag named on stderr", async () => {
  const r = await runBinary("version", "--nope");
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, 'unknown flag "--nope"');
});

Deno.test("check-config validates the shipped examples through the binary", async () => {
  for (const kind of ["edge", "hub"]) {
    const r = await runBinary(
      "check-config",
      "--config",
      `config/${kind}.example.yaml`,
    );
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stdout,
      `OK: config/${kind}.example.yaml is a valid ${kind} configuration`,
    );
  }
});

Deno.test("check-config prints every error and exits 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/edge.yaml`;
    await Deno.writeTextFile(
      file,
      "node:\n  name: pi-01\nhub:\n  httpServer: htp://x\nidentity:\n  upstrem: hub\n",
    );
    const r = await runBinary("check-config", "--config", file);
    assertEquals(r.code, 2, r.stdout + r.stderr);
    assertStringIncludes(
      r.stderr,
      'hub.httpServer: expected an https:// URL, got "htp://x"',
    );
    assertStringIncludes(
      r.stderr,
      'identity.upstrem: unknown key (did you mean "upstream"?)',
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
