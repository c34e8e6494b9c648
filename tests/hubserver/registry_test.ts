/**
 * The embedded node registry (snapshot unit + append-only journal): records
 * survive reopening and compaction, state dirs written before the journal
 * (one unit per node) load, interrupted compactions and torn or corrupt
 * journal lines are handled, and SIGKILLs mid-put never lose an
 * acknowledged record.
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import {
  type NodeRecord,
  NODES_UNIT,
  StoreNodeRegistry,
} from "../../src/hubserver/mod.ts";
import { openStore, type Store } from "../../src/store/mod.ts";
import { isEdgeError } from "../../src/errors.ts";

function record(name: string, lastSeen: number): NodeRecord {
  return {
    name,
    state: "active",
    enrolledAt: 1,
    lastSeen,
    certs: [{ serial: "0a", kind: "node", issuedAt: 1, notAfter: 2 }],
    usedTokens: [{ id: `tok-${name}-${lastSeen}`, usedAt: lastSeen }],
  };
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.filter((n) => !n.startsWith(".")).sort();
}

async function withStore(fn: (store: Store, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "edge-registry-" });
  try {
    await fn(await openStore(`${dir}/state`), `${dir}/state`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function reopenList(store: Store): Promise<NodeRecord[]> {
  const r = await StoreNodeRegistry.open(store);
  try {
    return await r.list();
  } finally {
    await r.close();
  }
}

Deno.test("registry records survive reopening, opening writes nothing, and the journal is folded into a snapshot once it holds enough lines", async () => {
  await withStore(async (store, dir) => {
    const r = await StoreNodeRegistry.open(store, { compactAfter: 4 });
    assertEquals(await files(dir), [], "opening writes nothing");
    for (let i = 1; i <= 9; i++) await r.put(record(`n${i % 3}`, i));
    await r.put(record("n9", 10)); // waits for any compaction in progress
    await r.close();
    // 10 puts, compaction every 4 lines: generations 2 and 3 were started;
    // the journals from the replaced snapshot's generation up are kept.
    assertEquals(await files(dir), [
      "nodes",
      "nodes.2.journal",
      "nodes.3.journal",
      "nodes.prev",
    ]);
    const got = await reopenList(store);
    assertEquals(got.map((x) => [x.name, x.lastSeen]), [
      ["n0", 9],
      ["n1", 7],
      ["n2", 8],
      ["n9", 10],
    ]);
    assertEquals(got[0], record("n0", 9));
  });
});

Deno.test("concurrent puts right after opening all land in the journal", async () => {
  await withStore(async (store) => {
    const first = await StoreNodeRegistry.open(store);
    await first.put(record("n0", 0));
    await first.close();
    const r = await StoreNodeRegistry.open(store);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => r.put(record(`c${i}`, i))),
    );
    await r.close();
    assertEquals((await reopenList(store)).length, 21);
  });
});

Deno.test("a state dir from before the journal (one unit per node) loads, and its units are folded into a snapshot", async () => {
  await withStore(async (store, dir) => {
    const old = { ...record("pi-01", 5) };
    delete old.usedTokens; // old records had no token uses
    await store.write(
      "node.pi-01",
      new TextEncoder().encode(JSON.stringify(old)),
    );
    await store.write(
      "node.pi-02",
      new TextEncoder().encode(JSON.stringify({ ...old, name: "pi-02" })),
    );
    const r = await StoreNodeRegistry.open(store);
    assertEquals((await r.get("pi-01"))?.lastSeen, 5);
    assertEquals(await files(dir), ["node.pi-01", "node.pi-02"]);
    await r.put(record("pi-02", 6));
    await r.close();
    assertEquals(await files(dir), ["nodes", "nodes.1.journal"]);
    const got = await reopenList(store);
    assertEquals(got.map((x) => [x.name, x.lastSeen]), [["pi-01", 5], [
      "pi-02",
      6,
    ]]);
    assertEquals(got[0].usedTokens, undefined);
  });
});

Deno.test("an interrupted compaction loses nothing: an empty next journal is replayed and appended to, and journals older than the snapshot are never replayed", async () => {
  await withStore(async (store, dir) => {
    const r = await StoreNodeRegistry.open(store, { compactAfter: 2 });
    for (let i = 1; i <= 3; i++) await r.put(record(`n${i}`, i));
    await r.close();
    const before = await reopenList(store);
    // Crash after creating the next journal, before writing the snapshot.
    const gens = (await files(dir)).filter((f) => f.endsWith(".journal"));
    const next = Math.max(...gens.map((f) => Number(f.split(".")[1]))) + 1;
    await Deno.writeFile(`${dir}/nodes.${next}.journal`, new Uint8Array(), {
      mode: 0o600,
    });
    const r2 = await StoreNodeRegistry.open(store, { compactAfter: 100 });
    assertEquals(await r2.list(), before);
    await r2.put(record("n4", 4)); // appended to the newest journal
    await r2.close();
    const after = await reopenList(store);
    assertEquals(after.map((x) => x.name), ["n1", "n2", "n3", "n4"]);
    // A leftover journal older than the snapshot's is never replayed.
    await Deno.writeTextFile(`${dir}/nodes.0.journal`, "garbage\n", {
      mode: 0o600,
    });
    assertEquals(await reopenList(store), after);
  });
});

Deno.test("a corrupt snapshot falls back to the previous one plus the journals it needs, without losing a record", async () => {
  await withStore(async (store, dir) => {
    const r = await StoreNodeRegistry.open(store, { compactAfter: 3 });
    for (let i = 1; i <= 8; i++) await r.put(record(`n${i}`, i));
    await r.close();
    const before = await reopenList(store);
    assertEquals(before.length, 8);
    const path = `${dir}/${NODES_UNIT}`;
    const bytes = await Deno.readFile(path);
    bytes[bytes.length - 40] ^= 0xff;
    await Deno.writeFile(path, bytes);
    assertEquals(await reopenList(store), before);
  });
});

Deno.test("a torn last journal line (crash mid-append) is dropped; a corrupt complete line stops the open naming it", async () => {
  await withStore(async (store, dir) => {
    const r = await StoreNodeRegistry.open(store);
    await r.put(record("n1", 1));
    await r.put(record("n2", 2));
    await r.close();
    const journal = `${dir}/nodes.1.journal`;
    const text = await Deno.readTextFile(journal);
    await Deno.writeTextFile(journal, text + text.slice(0, 30)); // torn
    assertEquals((await reopenList(store)).map((x) => x.name), ["n1", "n2"]);
    await Deno.writeTextFile(journal, text.replace('"n2"', '"n3"'));
    const err = await assertRejects(() => StoreNodeRegistry.open(store));
    assert(isEdgeError(err) && err.code === "STORE_CORRUPT", String(err));
    assertStringIncludes((err as Error).message, 'nodes.1.journal" line 2');
  });
});

const writer = new URL("./_registry_writer.ts", import.meta.url).pathname;

Deno.test("registry puts survive SIGKILL at random moments, compactions included: every acknowledged record is there", async () => {
  await withStore(async (store, dir) => {
    const acked = new Map<string, number>();
    let highest = 0;
    const generation = async () =>
      Number(
        new TextDecoder().decode(
          (await store.requireUnit(NODES_UNIT)).members.journal,
        ),
      );
    // At least 12 kills, and on until several compactions (every 40 lines)
    // have been crossed, however slow the machine.
    let round = 0;
    for (; round < 12 || (round < 60 && await generation() < 10); round++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", writer, dir],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let buf = "";
      while (!buf.includes("ready\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
      }
      const killAt = Date.now() + 20 + Math.random() * 200;
      while (Date.now() < killAt) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
      }
      child.kill("SIGKILL");
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
      }
      const status = await child.status;
      await child.stderr.cancel();
      assertEquals(status.signal, "SIGKILL", `writer died on its own: ${buf}`);
      for (const line of buf.split("\n")) {
        const m = /^(n\d+) (\d+)$/.exec(line);
        if (!m) continue;
        acked.set(m[1], Math.max(acked.get(m[1]) ?? 0, Number(m[2])));
        highest = Math.max(highest, Number(m[2]));
      }
      const got = new Map(
        (await reopenList(store)).map((x) => [x.name, x.lastSeen]),
      );
      for (const [name, seq] of acked) {
        const have = got.get(name) ?? 0;
        assert(
          have >= seq,
          `round ${round}: ${name} went back from ${seq} to ${have}`,
        );
      }
    }
    const left = await files(dir);
    const snapshotGen = await generation();
    console.log(
      `kills: ${round}, highest acknowledged put: ${highest}, snapshot generation: ${snapshotGen}`,
    );
    assert(snapshotGen >= 10, `too few compactions: ${snapshotGen}`);
    assert(left.filter((f) => f.endsWith(".journal")).length <= 3, `${left}`);
  });
});
