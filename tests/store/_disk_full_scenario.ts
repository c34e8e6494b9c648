/**
 * Body of `disk_full_test.ts`: on a 256 KiB tmpfs mounted at the given mount
 * point, a write that cannot fit fails with `STORE_WRITE_FAILED` saying the
 * disk is full, leaves no temp file and keeps the previous value readable.
 * Needs root (mount); run directly, or as a script under
 * `unshare --user --map-root-user --mount` when not root.
 *
 * Usage as a script: deno run -A tests/store/_disk_full_scenario.ts <mountpoint>
 * @module
 */
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../_fixtures/assert.ts";
import { isEdgeError } from "../../src/errors.ts";
import { openStore } from "../../src/store/mod.ts";
import { fill, withTinyTmpfs } from "./_tmpfs.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** Mount a tmpfs at `mnt`, run the scenario, unmount. Throws on any failure. */
export async function diskFullScenario(mnt: string): Promise<void> {
  await withTinyTmpfs(mnt, async () => {
    const dir = `${mnt}/state`;
    const store = await openStore(dir);
    const good = { key: enc("key-1".padEnd(8000, ".")), cert: enc("cert-1") };
    await store.writeUnit("identity", {
      key: enc("key-0"),
      cert: enc("cert-0"),
    });
    await store.writeUnit("identity", good);
    await fill(`${mnt}/filler`);

    const large = { key: new Uint8Array(300 * 1024), cert: enc("cert-2") };
    await assertRejects(() => store.writeUnit("identity", large), (e) => {
      assert(isEdgeError(e, "STORE_WRITE_FAILED"), String(e));
      assertStringIncludes(
        e.message,
        "the disk is full (no space left on device, ENOSPC)",
      );
      assertStringIncludes(e.message, `"${dir}/identity"`);
    });
    assertEquals(await store.readUnit("identity"), {
      members: good,
      source: "current",
    });
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(
      names.sort(),
      ["identity", "identity.prev"],
      "temp file left behind",
    );

    // Once space is freed, writes work again.
    await Deno.remove(`${mnt}/filler`);
    await store.writeUnit("identity", {
      key: enc("key-3"),
      cert: enc("cert-3"),
    });
    assertEquals(
      (await store.requireUnit("identity")).members.cert,
      enc("cert-3"),
    );
  });
}

if (import.meta.main) {
  await diskFullScenario(Deno.args[0]);
  console.log("disk-full scenario passed");
}
