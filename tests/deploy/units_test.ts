/**
 * The systemd units in config/: accepted by `systemd-analyze verify`, hardened
 * as documented, and in agreement with the example configs' default paths.
 */
import { parse as parseYaml } from "yaml";
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { ROOT } from "../_fixtures/cli.ts";

const UNITS = [
  { unit: "edge-runtime", example: "edge.example.yaml" },
  { unit: "edge-runtime-hub", example: "hub.example.yaml" },
] as const;

/** `Key=value` lines of a unit file (comments dropped), repeated keys kept. */
function directives(text: string): [string, string][] {
  return text.split("\n")
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
}

function value(text: string, key: string): string | undefined {
  return directives(text).find(([k]) => k === key)?.[1];
}

/** Every `socketPath` value anywhere in a parsed config. */
function socketPaths(v: unknown): string[] {
  if (!v || typeof v !== "object") return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
    k === "socketPath" && typeof x === "string" ? [x] : socketPaths(x)
  );
}

Deno.test("systemd-analyze verify accepts both units without a warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "units-test-" });
  try {
    // verify checks that ExecStart's binary exists: point it at a stand-in.
    const bin = `${dir}/edge-runtime`;
    await Deno.writeTextFile(bin, "#!/bin/sh\n", { mode: 0o755 });
    const files = [];
    for (const { unit } of UNITS) {
      const text = await Deno.readTextFile(`${ROOT}/config/${unit}.service`);
      const path = `${dir}/${unit}.service`;
      await Deno.writeTextFile(
        path,
        text.replaceAll("/usr/local/bin/edge-runtime", bin),
      );
      files.push(path);
    }
    const out = await new Deno.Command("systemd-analyze", {
      args: ["verify", "--man=no", ...files],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, text);
    assertEquals(text.trim(), "", "systemd-analyze verify complained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("both units restart on failure, run as their own user without capabilities, and are hardened", async () => {
  for (const { unit } of UNITS) {
    const text = await Deno.readTextFile(`${ROOT}/config/${unit}.service`);
    const want: Record<string, string> = {
      Type: "simple",
      User: unit,
      Group: unit,
      Restart: "on-failure",
      RestartPreventExitStatus: "2 3",
      StateDirectory: unit,
      StateDirectoryMode: "0700",
      RuntimeDirectory: unit,
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      ReadWritePaths: `/var/lib/${unit} /run/${unit}`,
      CapabilityBoundingSet: "",
      AmbientCapabilities: "",
      WantedBy: "multi-user.target",
    };
    for (const [k, v] of Object.entries(want)) {
      assertEquals(value(text, k), v, `${unit}.service ${k}=`);
    }
    assertEquals(
      value(text, "ExecStart"),
      `/usr/local/bin/edge-runtime ${
        unit === "edge-runtime" ? "run" : "hub"
      } --config /etc/${unit}/${unit === "edge-runtime" ? "edge" : "hub"}.yaml`,
    );
    // V8 JIT-compiles: W^X memory would kill the process at start.
    assertEquals(value(text, "MemoryDenyWriteExecute"), undefined);
  }
});

Deno.test("the device unit leaves other users' /proc visible, so workloads can be attested", async () => {
  const text = await Deno.readTextFile(`${ROOT}/config/edge-runtime.service`);
  assertEquals(value(text, "ProtectProc"), undefined);
  assertEquals(value(text, "ProcSubset"), undefined);
  assertStringIncludes(text, "CAP_SYS_PTRACE"); // the documented opt-in
});

Deno.test("the example configs' default state dir and sockets lie in the units' writable directories", async () => {
  for (const { unit, example } of UNITS) {
    const unitText = await Deno.readTextFile(
      `${ROOT}/config/${unit}.service`,
    );
    const cfg = parseYaml(
      await Deno.readTextFile(`${ROOT}/config/${example}`),
    );
    assertEquals(cfg.stateDir, `/var/lib/${value(unitText, "StateDirectory")}`);
    const sockets = socketPaths(cfg);
    assert(sockets.length > 0, `${example} has no socketPath`);
    for (const s of sockets) {
      assert(
        s.startsWith(`/run/${value(unitText, "RuntimeDirectory")}/`),
        `${example}: ${s} is outside /run/${unit}`,
      );
    }
  }
});
