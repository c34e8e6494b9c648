/**
 * `run` and `hub` open their state directory through the store before
 * anything else: created 0700, unsafe directories refused with exit 3,
 * `--state-dir` overrides the config, secrets never reach the logs.
 */
import {
  assert,
  assertEquals,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { runBinary, spawnBinary } from "../_fixtures/cli.ts";

const SIGNATURE = "c2VjcmV0LXNpZ25hdHVyZQ";
const JOIN_TOKEN = "0".repeat(64) +
  `.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwaS0xIiwiZXhwIjo5OTk5OTk5OTk5fQ.${SIGNATURE}`;

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("run creates the --state-dir 0700 and says it needs a join token", async () => {
  await withDir(async (dir) => {
    const state = `${dir}/state/nested`;
    const r = await runBinary(
      "run",
      "--config",
      "config/edge.example.yaml",
      "--state-dir",
      state,
    );
    assertEquals(r.code, 1, r.stderr);
    assertStringIncludes(r.stderr, "no join token");
    assertEquals((await Deno.stat(state)).mode! & 0o777, 0o700);
  });
});

for (const [cmd, kind] of [["run", "edge"], ["hub", "hub"]] as const) {
  Deno.test(`${cmd} refuses a world-writable state dir with exit 3 and the fix`, async () => {
    await withDir(async (dir) => {
      await Deno.chmod(dir, 0o777);
      const r = await runBinary(
        cmd,
        "--config",
        `config/${kind}.example.yaml`,
        "--state-dir",
        dir,
      );
      assertEquals(r.code, 3, r.stderr);
      assertStringIncludes(r.stderr, dir);
      assertStringIncludes(r.stderr, "chmod 700");
    });
  });
}

Deno.test("run refuses a state dir owned by another user with exit 3", async () => {
  if (Deno.uid() !== 0) {
    throw new Error("this test chowns a directory: run the suite as root");
  }
  await withDir(async (dir) => {
    const state = `${dir}/state`;
    await Deno.mkdir(state, { mode: 0o700 });
    await Deno.chown(state, 65534, 65534);
    const r = await runBinary(
      "run",
      "--config",
      "config/edge.example.yaml",
      "--state-dir",
      state,
    );
    assertEquals(r.code, 3, r.stderr);
    assertStringIncludes(r.stderr, "owned by");
  });
});

Deno.test("a relative --state-dir is a usage error naming the flag's field", async () => {
  const r = await runBinary(
    "run",
    "--config",
    "config/edge.example.yaml",
    "--state-dir",
    "rel/dir",
  );
  assertEquals(r.code, 2, r.stderr);
  assertStringIncludes(
    r.stderr,
    "stateDir (override): expected an absolute path",
  );
});

Deno.test("a join token in the config never reaches the logs", async () => {
  await withDir(async (dir) => {
    const cfg = `${dir}/edge.yaml`;
    // Port 1 on loopback: nothing listens, so the runtime keeps retrying and
    // logging at debug level until it is stopped.
    await Deno.writeTextFile(
      cfg,
      `node:\n  name: pi-1\nlog:\n  level: debug\n  format: json\n` +
        `hub:\n  httpServer: https://127.0.0.1:1\n` +
        `identity:\n  token: "${JOIN_TOKEN}"\n`,
    );
    const child = spawnBinary(
      "run",
      "--config",
      cfg,
      "--state-dir",
      `${dir}/state`,
    );
    await new Promise((r) => setTimeout(r, 2500));
    child.kill("SIGTERM");
    const out = await child.output();
    const all = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    assert(
      all.includes("127.0.0.1:1"),
      `the runtime did not log its attempts:\n${all}`,
    );
    assert(!all.includes(SIGNATURE), all);
    // The config error path must not echo the token either.
    await Deno.writeTextFile(
      cfg,
      `node:\n  name: pi-1\nidentity:\n  token: "${JOIN_TOKEN}"\n  tokenFile: /x\n`,
    );
    const bad = await runBinary("check-config", "--config", cfg);
    assertEquals(bad.code, 2, bad.stderr);
    assert(!bad.stderr.includes(SIGNATURE), bad.stderr);
  });
});
