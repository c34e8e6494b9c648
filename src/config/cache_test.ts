import assert from "node:assert/strict";
import {
  CONFIG_CACHE_UNIT,
  configCacheKey,
  exactJson,
  YAML_PARSER,
} from "./cache.ts";
import { type EdgeConfig, loadConfig, loadConfigCached } from "./mod.ts";
import { parseYaml } from "./parse.ts";
import { openStore, type Store } from "../store/mod.ts";

const ROOT = new URL("../../", import.meta.url);

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "config_cache_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An edge config file in `dir` with its state dir at `stateDir`. */
async function writeEdge(
  dir: string,
  stateDirLine: string,
  extra = "",
): Promise<string> {
  const path = `${dir}/edge.yaml`;
  await Deno.writeTextFile(
    path,
    `node:\n  name: pi-1\n${stateDirLine}\nhub:\n  heartbeat: 20s\n${extra}`,
  );
  return path;
}

/** Load through the cache and, like the runtime, save the parse under the lock. */
async function loadAndSave(
  path: string,
  stateDirOverride?: string,
): Promise<{ from: string; config: EdgeConfig; store: Store }> {
  const loaded = await loadConfigCached("edge", path, { stateDirOverride });
  const store = await openStore(loaded.config.stateDir);
  using _lock = await store.lock();
  await loaded.saveCache(store);
  return { from: loaded.from, config: loaded.config, store };
}

Deno.test("a configuration read twice is parsed once: the second load takes the cached parse (no onMiss) and gives the same configuration", async () => {
  await withDir(async (dir) => {
    const path = await writeEdge(dir, `stateDir: ${dir}/state`);
    const first = await loadAndSave(path);
    assert.equal(first.from, "parsed");
    assert.ok((await first.store.list()).includes(CONFIG_CACHE_UNIT));
    let misses = 0;
    const second = await loadConfigCached("edge", path, {
      onMiss: () => misses++,
    });
    assert.equal(second.from, "cache");
    assert.equal(misses, 0, "onMiss called on a hit");
    await Deno.writeTextFile(path, `${await Deno.readTextFile(path)}\n# x\n`);
    const third = await loadConfigCached("edge", path, {
      onMiss: () => misses++,
    });
    assert.equal(third.from, "parsed");
    assert.equal(misses, 1, "onMiss not called once on a miss");
    assert.deepEqual(second.config, first.config);
    assert.deepEqual(second.config, await loadConfig("edge", path));
    assert.equal(second.config.hub.heartbeat, 20_000);
    assert.equal(await second.saveCache(first.store), false);
  });
});

Deno.test("a changed file, another kind or quoting of the state dir are parsed again", async () => {
  await withDir(async (dir) => {
    const path = await writeEdge(dir, `stateDir: "${dir}/state" # quoted`);
    assert.equal((await loadAndSave(path)).from, "parsed");
    assert.equal((await loadConfigCached("edge", path)).from, "cache");
    await Deno.writeTextFile(
      path,
      (await Deno.readTextFile(path)).replace("20s", "25s"),
    );
    const changed = await loadConfigCached("edge", path);
    assert.equal(changed.from, "parsed");
    assert.equal(changed.config.hub.heartbeat, 25_000);
    assert.notEqual(
      configCacheKey("edge", "a: 1\n"),
      configCacheKey("hub", "a: 1\n"),
    );
    assert.notEqual(
      configCacheKey("edge", "a: 1\n"),
      configCacheKey("edge", "a: 2\n"),
    );
  });
});

Deno.test("the schema is applied to a cached parse: a cached entry that the schema refuses fails the load like the file would", async () => {
  await withDir(async (dir) => {
    const path = await writeEdge(dir, `stateDir: ${dir}/state`);
    const { store } = await loadAndSave(path);
    // Same key, data the schema refuses (as after a schema change).
    const text = await Deno.readTextFile(path);
    const raw = parseYaml(text, "test") as Record<string, unknown>;
    await store.writeUnit(CONFIG_CACHE_UNIT, {
      key: new TextEncoder().encode(configCacheKey("edge", text)),
      raw: new TextEncoder().encode(JSON.stringify({ ...raw, extra: 1 })),
    });
    await assert.rejects(loadConfigCached("edge", path), {
      code: "CONFIG_INVALID",
      errors: [
        'extra: unknown key (expected one of "node", "trustDomain", "stateDir", "log", "identity", "hub", "vault", "workloadApi", "sinks", "admin")',
      ],
    });
  });
});

Deno.test("a cached parse is used only from the configuration's own state dir", async () => {
  await withDir(async (dir) => {
    // "/a#b" is one YAML scalar, but the quick state-dir lookup stops at "#"
    // and looks in "…/a": an entry found there is not the config's.
    const real = `${dir}/a#b`;
    const path = await writeEdge(dir, `stateDir: ${real}`);
    const { store } = await loadAndSave(path);
    assert.equal(store.dir, real);
    const elsewhere = await openStore(`${dir}/a`);
    const entry = await store.readUnit(CONFIG_CACHE_UNIT);
    await elsewhere.writeUnit(CONFIG_CACHE_UNIT, entry!.members);
    const again = await loadConfigCached("edge", path);
    assert.equal(again.from, "parsed");
    assert.equal(again.config.stateDir, real);
  });
});

Deno.test("the cache follows --state-dir, creates no directory and ignores an unsafe state dir", async () => {
  await withDir(async (dir) => {
    const path = await writeEdge(dir, `stateDir: ${dir}/configured`);
    const override = `${dir}/override`;
    assert.equal((await loadAndSave(path, override)).from, "parsed");
    assert.equal(
      (await loadConfigCached("edge", path, {
        stateDirOverride: override,
      })).from,
      "cache",
    );
    // The configured dir was never created by a lookup.
    const fresh = await loadConfigCached("edge", path);
    assert.equal(fresh.from, "parsed");
    await assert.rejects(Deno.stat(`${dir}/configured`), Deno.errors.NotFound);
    // A group-writable state dir is refused by the store: no cache from it.
    await Deno.chmod(override, 0o770);
    assert.equal(
      (await loadConfigCached("edge", path, {
        stateDirOverride: override,
      })).from,
      "parsed",
    );
  });
});

Deno.test("data JSON cannot carry exactly is never cached", () => {
  assert.equal(
    exactJson({ a: [1, "x", true, null], b: { c: 2.5 } }),
    '{"a":[1,"x",true,null],"b":{"c":2.5}}',
  );
  for (
    const raw of [
      { a: Infinity },
      { a: NaN },
      { a: -0 },
      { a: undefined },
      { a: 1n },
      { a: new Map() },
      { a: new Date(0) },
      JSON.parse('{"__proto__": 1}'),
    ]
  ) {
    assert.equal(
      exactJson(raw),
      undefined,
      `${Deno.inspect(raw)} was cacheable`,
    );
  }
});

Deno.test("the cache key names the YAML library that deno.lock resolves", async () => {
  const lock = JSON.parse(
    await Deno.readTextFile(new URL("deno.lock", ROOT)),
  );
  const versions = Object.entries(lock.specifiers)
    .filter(([spec]) => spec.startsWith("npm:yaml@"))
    .map(([, version]) => `yaml@${version}`);
  assert.deepEqual(versions, [YAML_PARSER]);
});
