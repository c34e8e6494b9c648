import assert from "node:assert/strict";
import { checkConfig, checkConfigFile, detectConfigKind } from "./mod.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "config_check_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("checkConfig() returns ok or the list of errors without throwing", async () => {
  await withDir(async (dir) => {
    const good = `${dir}/good.yaml`;
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(good, "quic: {enabled: true}\n");
    await Deno.writeTextFile(bad, "quic: {enabld: true, listen: nowhere}\n");
    assert.deepEqual(await checkConfig("hub", good), { ok: true });
    assert.deepEqual(await checkConfig("hub", bad), {
      ok: false,
      errors: [
        'quic.enabld: unknown key (did you mean "enabled"?)',
        'quic.listen: expected a host:port address like "127.0.0.1:10000", got "nowhere"',
      ],
    });
    assert.deepEqual(await checkConfig("hub", `${dir}/missing.yaml`), {
      ok: false,
      errors: [
        `configuration file ${JSON.stringify(`${dir}/missing.yaml`)} not found`,
      ],
    });
  });
});

Deno.test("detectConfigKind() tells edge from hub by top-level keys", () => {
  assert.equal(detectConfigKind("node: {name: a}\nhub: {}\n"), "edge");
  assert.equal(detectConfigKind("ca: {}\nenroll: {}\n"), "hub");
  assert.equal(detectConfigKind("log: {}\n"), undefined);
  assert.equal(detectConfigKind("- a\n"), undefined);
  assert.equal(detectConfigKind("a: [\n"), undefined);
});

Deno.test("checkConfigFile() checks as the given, detected or validating kind", async () => {
  await withDir(async (dir) => {
    const write = async (name: string, text: string) => {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      return `${dir}/${name}`;
    };
    const hub = await write("hub.yaml", "enroll: {nodeCertTtl: 1h}\n");
    assert.deepEqual(await checkConfigFile(hub), { ok: true, kind: "hub" });
    assert.deepEqual(await checkConfigFile(hub, { kind: "edge" }), {
      ok: false,
      kind: "edge",
      errors: [
        'enroll: unknown key (expected one of "node", "trustDomain", "stateDir", "log", "identity", "hub", "vault", "workloadApi", "sinks", "admin")',
        'node.name: required field is missing (expected a lowercase DNS name like "pi-1")',
      ],
    });
    const edge = await write(
      "edge.yaml",
      "node: {name: pi-1}\nhub: {heartbeat: 1}\n",
    );
    assert.deepEqual(await checkConfigFile(edge), {
      ok: false,
      kind: "edge",
      errors: [
        'hub.heartbeat: expected a duration like "90s" or "1h30m", got 1 (add a unit, for example "1s")',
      ],
    });
    const neutral = await write("neutral.yaml", "log: {level: debug}\n");
    assert.deepEqual(await checkConfigFile(neutral), { ok: true, kind: "hub" });
    const missing = `${dir}/missing.yaml`;
    assert.deepEqual(await checkConfigFile(missing), {
      ok: false,
      errors: [`configuration file ${JSON.stringify(missing)} not found`],
    });
  });
});
