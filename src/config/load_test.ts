import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseConfig } from "./mod.ts";
import { isEdgeError } from "../errors.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "config_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("YAML syntax errors report line and column", () => {
  assert.throws(
    () => parseConfig("edge", "node:\n  name: pi-1\nhub: [1, 2\nlog: {}\n"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, "CONFIG_INVALID");
      assert.equal(e.errors.length, 1);
      assert.match(
        e.errors[0],
        /^line 4, column 1: Flow sequence in block collection/,
      );
      return true;
    },
  );
  assert.throws(() => parseConfig("hub", "log: {}\nlog: {}\n"), {
    errors: ["line 2, column 1: Map keys must be unique"],
  });
  assert.throws(() => parseConfig("hub", "a: *nope\n"), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.errors[0], /^YAML: Unresolved alias/);
    return true;
  });
});

Deno.test("a top-level list is reported as the wrong type", () => {
  assert.throws(() => parseConfig("hub", "- a\n- b\n"), {
    errors: [
      "(top level): expected a mapping of settings (key: value), got a list",
    ],
  });
});

Deno.test("the error message lists every problem", () => {
  assert.throws(
    () => parseConfig("edge", "hub: {httpServer: 'htp://x'}\nzzz: 1\n"),
    {
      code: "CONFIG_INVALID",
      message: "edge configuration is invalid (3 problems):\n" +
        '  - hub.httpServer: expected an https:// URL, got "htp://x"\n' +
        '  - zzz: unknown key (expected one of "node", "trustDomain", "stateDir", "log", "identity", "hub", "vault", "workloadApi", "sinks", "admin")\n' +
        '  - node.name: required field is missing (expected a lowercase DNS name like "pi-1")',
    },
  );
});

Deno.test("loadConfig() reads a file and applies the state directory override", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/edge.yaml`;
    await Deno.writeTextFile(file, "node: {name: pi-1}\nstateDir: /srv/edge\n");
    assert.equal((await loadConfig("edge", file)).stateDir, "/srv/edge");
    const c = await loadConfig("edge", file, {
      stateDirOverride: `${dir}/state`,
    });
    assert.equal(c.stateDir, `${dir}/state`);
    await assert.rejects(
      loadConfig("edge", file, { stateDirOverride: "rel" }),
      {
        code: "CONFIG_INVALID",
        errors: ['stateDir (override): expected an absolute path, got "rel"'],
      },
    );
    const empty = `${dir}/empty.yaml`;
    await Deno.writeTextFile(empty, "");
    assert.equal(
      (await loadConfig("hub", empty, { stateDirOverride: "/x" })).stateDir,
      "/x",
    );
  });
});

Deno.test("loadConfig() reports a missing file as CONFIG_NOT_FOUND naming the path", async () => {
  await withDir(async (dir) => {
    const file = `${dir}/nope.yaml`;
    await assert.rejects(loadConfig("hub", file), (e: unknown) => {
      assert.ok(isEdgeError(e, "CONFIG_NOT_FOUND"));
      assert.equal(
        e.message,
        `configuration file ${JSON.stringify(file)} not found`,
      );
      return true;
    });
  });
});

Deno.test("loadConfig() rejects a directory and an oversized file", async () => {
  await withDir(async (dir) => {
    await assert.rejects(loadConfig("hub", dir), {
      code: "CONFIG_INVALID",
      errors: ["(file): expected a regular file"],
    });
    const big = `${dir}/big.yaml`;
    await Deno.writeTextFile(big, "#".repeat(1024 * 1024 + 1));
    await assert.rejects(loadConfig("hub", big), {
      code: "CONFIG_INVALID",
      errors: [`(file): expected at most 1 MiB, got ${1024 * 1024 + 1} bytes`],
    });
  });
});
