import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import { runCli } from "./cli.ts";
import { COMMANDS } from "./commands/mod.ts";

async function cli(...argv: string[]) {
  let out = "", err = "";
  const code = await runCli(argv, {
    stdout: (t) => out += t,
    stderr: (t) => err += t,
  });
  return { code, out, err };
}

const NAMES = [
  "run",
  "hub",
  "token",
  "node",
  "audit",
  "status",
  "check-config",
  "version",
];

Deno.test("the CLI has every documented command", () => {
  assertEquals(COMMANDS.map((c) => c.name), NAMES);
});

for (const name of NAMES) {
  Deno.test(`"${name} --help" prints usage, flags incl. --state-dir, and exit codes`, async () => {
    const { code, out } = await cli(name, "--help");
    assertEquals(code, 0);
    assertStringIncludes(out, "Usage:");
    assertStringIncludes(out, `edge-runtime ${name}`);
    assertStringIncludes(out, "--state-dir DIR");
    assertStringIncludes(out, "Exit codes:");
  });

  Deno.test(`"${name}" accepts --state-dir`, async () => {
    const { code } = await cli(name, "--state-dir", "/tmp/x", "--help");
    assertEquals(code, 0);
  });

  Deno.test(`"${name}" rejects an unknown flag with a message, usage and exit 2`, async () => {
    const { code, err } = await cli(name, "--bogus-flag", "1");
    assertEquals(code, 2);
    assertStringIncludes(err, 'unknown flag "--bogus-flag"');
    assertStringIncludes(err, "Usage:");
  });
}

Deno.test("no arguments prints the command list and exits 2", async () => {
  const { code, out } = await cli();
  assertEquals(code, 2);
  for (const n of NAMES) assertStringIncludes(out, n);
});

Deno.test("--help lists commands and exits 0", async () => {
  const { code, out } = await cli("--help");
  assertEquals(code, 0);
  assertStringIncludes(out, "check-config");
});

Deno.test("an unknown command is a usage error", async () => {
  const { code, err } = await cli("frobnicate");
  assertEquals(code, 2);
  assertStringIncludes(err, 'unknown command "frobnicate"');
});

Deno.test("a string flag without its value is a usage error naming the flag", async () => {
  const { code, err } = await cli("check-config", "--config");
  assertEquals(code, 2);
  assertStringIncludes(err, "flag --config needs a value (FILE)");
});

Deno.test("--config FILE without a command means run", async () => {
  const { code, err } = await cli("--config", "/nonexistent/edge.yaml");
  assertEquals(code, 2);
  assertStringIncludes(err, "edge-runtime run:");
  assertStringIncludes(err, "/nonexistent/edge.yaml");
});

Deno.test("version prints the version and target", async () => {
  const { code, out } = await cli("version");
  assertEquals(code, 0);
  assert(out.startsWith("edge-runtime 0.1.0 (deno "), out);
  assertStringIncludes(out, Deno.build.target);
});

Deno.test("the version constant matches deno.json", async () => {
  const cfg = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  );
  const { VERSION } = await import("../version.ts");
  assertEquals(VERSION, cfg.version);
});

Deno.test("token and node name their subcommands when given a wrong one", async () => {
  const t = await cli("token", "mint");
  assertEquals(t.code, 2);
  assertStringIncludes(t.err, 'unknown token subcommand "mint"');
  const n = await cli("node");
  assertEquals(n.code, 2);
  assertStringIncludes(
    n.err,
    "missing subcommand (list, lock, unlock, revoke)",
  );
});

Deno.test('a leading "--" (as `deno task cli -- version` passes it) is skipped', async () => {
  const direct = await cli("version");
  const separated = await cli("--", "version");
  assertEquals(separated.code, 0);
  assertEquals(separated.out, direct.out);
});
