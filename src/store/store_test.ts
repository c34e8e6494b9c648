import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import { FakeClock } from "../../tests/_fixtures/clock.ts";
import { isEdgeError } from "../errors.ts";
import { denoFs, type StoreFs } from "./fs.ts";
import { openStore } from "./store.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);

const base = Deno.makeTempDirSync({ prefix: "store-test-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(base, { recursive: true }),
);

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ dir: base });
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

async function flipByte(path: string, at = 20): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[at] ^= 0xff;
  await Deno.writeFile(path, bytes);
}

const identity = (n: number) => ({
  key: enc(`key-${n}`),
  cert: enc(`cert-${n}`),
  ca: enc(`ca-${n}`),
});

Deno.test("writeUnit then readUnit returns every member from the current version", async () => {
  const store = await openStore(await tempDir());
  await store.writeUnit("identity", identity(1));
  const got = await store.readUnit("identity");
  assertEquals(got, { members: identity(1), source: "current" });
  await store.writeUnit("identity", identity(2));
  assertEquals((await store.requireUnit("identity")).members, identity(2));
});

Deno.test("write then read round-trips a single value", async () => {
  const store = await openStore(await tempDir());
  assertEquals(await store.read("hub-ca"), undefined);
  await store.write("hub-ca", enc("pem"));
  assertEquals(dec(await store.read("hub-ca")), "pem");
});

Deno.test("files are created with mode 0600 and a missing dir with mode 0700, parents too", async () => {
  const root = await tempDir();
  const dir = `${root}/a/b/state`;
  const store = await openStore(dir);
  await store.write("x", enc("1"));
  await store.write("x", enc("2"));
  for (const d of [`${root}/a`, `${root}/a/b`, dir]) {
    assertEquals((await Deno.stat(d)).mode! & 0o777, 0o700, d);
  }
  assertEquals((await Deno.stat(`${dir}/x`)).mode! & 0o777, 0o600);
  assertEquals((await Deno.stat(`${dir}/x.prev`)).mode! & 0o777, 0o600);
  assertEquals(await entries(dir), ["x", "x.prev"]); // no temp files left
});

Deno.test("the previous good version is kept as <name>.prev", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.write("x", enc("old"));
  await store.write("x", enc("new"));
  const prevStore = await openStore(dir);
  await Deno.remove(`${dir}/x`);
  const got = await prevStore.readUnit("x");
  assertEquals(got?.source, "prev");
  assertEquals(got?.reason, "current version is missing");
  assertEquals(dec(got?.members.value), "old");
});

Deno.test("a world-writable state dir is refused with the mode and a chmod hint", async () => {
  const dir = await tempDir();
  await Deno.chmod(dir, 0o777);
  await assertRejects(() => openStore(dir), (e) => {
    assert(isEdgeError(e, "STORE_UNSAFE_DIR"), String(e));
    assertStringIncludes(e.message, `"${dir}"`);
    assertStringIncludes(e.message, "0777");
    assertStringIncludes(e.message, `chmod 700 ${dir}`);
  });
  await Deno.chmod(dir, 0o770);
  await assertRejects(
    () => openStore(dir),
    (e) => assert(isEdgeError(e, "STORE_UNSAFE_DIR")),
  );
  await Deno.chmod(dir, 0o755); // readable by others but not writable: accepted
  await openStore(dir);
});

Deno.test("a state dir owned by another user is refused", async () => {
  const dir = await tempDir();
  await Deno.chown(dir, 65534, 65534);
  await assertRejects(() => openStore(dir), (e) => {
    assert(isEdgeError(e, "STORE_UNSAFE_DIR"), String(e));
    assertStringIncludes(e.message, "owned by uid 65534");
    assertStringIncludes(e.message, `expected uid ${Deno.uid()}`);
    assertStringIncludes(e.message, dir);
  });
});

Deno.test("a state dir path that is a file is refused", async () => {
  const file = `${await tempDir()}/f`;
  await Deno.writeFile(file, enc("x"));
  await assertRejects(() => openStore(file), (e) => {
    assert(isEdgeError(e, "STORE_UNSAFE_DIR"));
    assertStringIncludes(e.message, "not a directory");
  });
});

Deno.test("a corrupt current version falls back to .prev and is moved aside, not deleted", async () => {
  const dir = await tempDir();
  const store = await openStore(dir, { clock: new FakeClock(1_000) });
  await store.writeUnit("identity", identity(1));
  await store.writeUnit("identity", identity(2));
  await flipByte(`${dir}/identity`);
  const got = await store.readUnit("identity");
  assertEquals(got?.members, identity(1));
  assertEquals(got?.source, "prev");
  assertMatch(
    got!.reason!,
    /current version is corrupt: SHA-256 checksum mismatch/,
  );
  assertEquals(got?.movedAside, `${dir}/identity.corrupt-1000`);
  assertEquals(await entries(dir), ["identity.corrupt-1000", "identity.prev"]);
  // The next write starts from the good version and keeps it as .prev.
  await store.writeUnit("identity", identity(3));
  assertEquals((await store.readUnit("identity"))?.source, "current");
  await Deno.remove(`${dir}/identity`);
  assertEquals((await store.readUnit("identity"))?.members, identity(1));
});

Deno.test("both versions corrupt gives STORE_CORRUPT naming both files", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.writeUnit("identity", identity(1));
  await store.writeUnit("identity", identity(2));
  await flipByte(`${dir}/identity`);
  await flipByte(`${dir}/identity.prev`, 3);
  await assertRejects(() => store.readUnit("identity"), (e) => {
    assert(isEdgeError(e, "STORE_CORRUPT"), String(e));
    assertStringIncludes(
      e.message,
      `"${dir}/identity" is corrupt (SHA-256 checksum mismatch)`,
    );
    assertStringIncludes(
      e.message,
      `"${dir}/identity.prev" is corrupt (bad magic`,
    );
  });
  assertEquals(await entries(dir), ["identity", "identity.prev"]); // left for forensics
});

Deno.test("a corrupt current version without .prev gives STORE_CORRUPT", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.write("x", enc("only"));
  await flipByte(`${dir}/x`);
  await assertRejects(() => store.read("x"), (e) => {
    assert(isEdgeError(e, "STORE_CORRUPT"));
    assertStringIncludes(e.message, `"${dir}/x.prev" is missing`);
  });
});

Deno.test("a version rejected by the validator falls back to .prev", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.writeUnit("identity", identity(1));
  // Well-formed but inconsistent: key and cert of different generations.
  await store.writeUnit("identity", { ...identity(2), cert: enc("cert-1") });
  const validate = (m: Record<string, Uint8Array>) => {
    if (dec(m.key)!.slice(4) !== dec(m.cert)!.slice(5)) {
      throw new Error("key does not match cert");
    }
  };
  const got = await store.readUnit("identity", { validate });
  assertEquals(got?.members, identity(1));
  assertEquals(
    got?.reason,
    "current version is corrupt: rejected by the validator: key does not match cert",
  );
  assert(got?.movedAside?.startsWith(`${dir}/identity.corrupt-`));
  // The rejected version stays moved aside: later reads use .prev too.
  assertEquals((await store.readUnit("identity"))?.source, "prev");
});

Deno.test("readUnit of a missing unit is undefined and requireUnit throws STORE_NOT_FOUND", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  assertEquals(await store.readUnit("nope"), undefined);
  await assertRejects(() => store.requireUnit("nope"), (e) => {
    assert(isEdgeError(e, "STORE_NOT_FOUND"));
    assertStringIncludes(
      e.message,
      `Unit "nope" not found in state dir "${dir}"`,
    );
  });
});

Deno.test("read refuses a multi-member unit as a single value", async () => {
  const store = await openStore(await tempDir());
  await store.writeUnit("identity", identity(1));
  await assertRejects(() => store.read("identity"), (e) => {
    assert(isEdgeError(e, "STORE_CORRUPT"));
    assertStringIncludes(e.message, "expected a single-value unit");
  });
});

Deno.test("writing over a corrupt current version never makes it the fallback", async () => {
  const dir = await tempDir();
  const store = await openStore(dir, { clock: new FakeClock(5) });
  await store.write("x", enc("good"));
  await store.write("x", enc("good2"));
  await flipByte(`${dir}/x`);
  await store.write("x", enc("new"));
  assertEquals(await entries(dir), ["x", "x.corrupt-5", "x.prev"]);
  await Deno.remove(`${dir}/x`);
  assertEquals(dec(await store.read("x")), "good");
});

Deno.test("list names every unit once and remove deletes both versions", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.write("b", enc("1"));
  await store.write("b", enc("2"));
  await store.write("a", enc("1"));
  await store.lock().then((l) => l.release()); // the lock file is not a unit
  await Deno.writeFile(`${dir}/b.corrupt-1`, enc("junk"));
  assertEquals(await store.list(), ["a", "b"]);
  assertEquals(await store.remove("b"), true);
  assertEquals(await store.remove("b"), false);
  assertEquals(await store.readUnit("b"), undefined);
  assertEquals(await store.list(), ["a"]);
  assert((await entries(dir)).includes("b.corrupt-1"));
});

Deno.test("invalid unit names are refused before touching the disk", async () => {
  const store = await openStore(await tempDir());
  for (const bad of ["../escape", "a/b", ".lock", "X", "x.prev", ""]) {
    await assertRejects(
      () => store.write(bad, enc("x")),
      (e) => assert(e instanceof TypeError),
    );
    await assertRejects(
      () => store.readUnit(bad),
      (e) => assert(e instanceof TypeError),
    );
    await assertRejects(
      () => store.remove(bad),
      (e) => assert(e instanceof TypeError),
    );
  }
});

/** A real filesystem whose writes fail as on a full disk. */
function fullDiskFs(): StoreFs {
  return {
    ...denoFs,
    writeNewFileSynced: async (path, data, mode) => {
      await denoFs.writeNewFileSynced(path, data.subarray(0, 3), mode);
      throw Object.assign(new Error("No space left on device (os error 28)"), {
        code: "ENOSPC",
      });
    },
  };
}

Deno.test("a full disk gives STORE_WRITE_FAILED saying so, removes the temp file and keeps the value", async () => {
  const dir = await tempDir();
  await (await openStore(dir)).write("x", enc("kept"));
  const store = await openStore(dir, { fs: fullDiskFs() });
  await assertRejects(() => store.write("x", enc("lost")), (e) => {
    assert(isEdgeError(e, "STORE_WRITE_FAILED"), String(e));
    assertStringIncludes(
      e.message,
      "the disk is full (no space left on device, ENOSPC)",
    );
    assertStringIncludes(e.message, `"${dir}/x"`);
    assertStringIncludes(e.message, "the previous version is unchanged");
  });
  assertEquals(await entries(dir), ["x"]);
  assertEquals(dec(await store.read("x")), "kept");
});

Deno.test("a failing rename leaves the previous value readable and no temp files", async () => {
  const dir = await tempDir();
  const store0 = await openStore(dir);
  await store0.write("x", enc("v1"));
  await store0.write("x", enc("v2"));
  const fs: StoreFs = {
    ...denoFs,
    rename: (from, to) =>
      to.endsWith("/x")
        ? Promise.reject(new Deno.errors.PermissionDenied("EPERM"))
        : denoFs.rename(from, to),
  };
  const store = await openStore(dir, { fs });
  await assertRejects(() => store.write("x", enc("v3")), (e) => {
    assert(isEdgeError(e, "STORE_WRITE_FAILED"));
    assertStringIncludes(e.message, "EPERM");
  });
  assertEquals(await entries(dir), ["x", "x.prev"]);
  assertEquals(dec(await store.read("x")), "v2");
});

Deno.test("a crash that left .prev and the current name on one file leaves no temp link behind", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.write("value1", enc("one"));
  // What a kill between "rename prev.tmp → prev" and "rename tmp → current" leaves.
  await Deno.remove(`${dir}/value1.prev`).catch(() => {});
  await Deno.link(`${dir}/value1`, `${dir}/value1.prev`);
  await store.write("value1", enc("two"));
  assertEquals(dec(await store.read("value1")), "two");
  assertEquals(await entries(dir), ["value1", "value1.prev"]);
});

Deno.test("concurrent writes share directory fsyncs, each covered by one that started after its rename", async () => {
  const dir = await tempDir();
  const events: string[] = [];
  let syncs = 0;
  const fs: StoreFs = {
    ...denoFs,
    // Stagger the writes so that renames land while a directory fsync runs.
    writeNewFileSynced: async (path, data, mode) => {
      const n = Number(/\/\.u(\d)\.tmp-/.exec(path)?.[1] ?? 0);
      await new Promise((r) => setTimeout(r, n * 6));
      await denoFs.writeNewFileSynced(path, data, mode);
    },
    rename: async (from, to) => {
      await denoFs.rename(from, to);
      events.push(`rename ${to.slice(dir.length + 1)}`);
    },
    syncDir: async (path) => {
      const n = ++syncs;
      events.push(`sync-start ${n}`);
      await new Promise((r) => setTimeout(r, 20));
      await denoFs.syncDir(path);
      events.push(`sync-end ${n}`);
    },
  };
  const store = await openStore(dir, { fs });
  const names = Array.from({ length: 8 }, (_, i) => `u${i}`);
  await Promise.all(names.map(async (name) => {
    await store.write(name, enc(name));
    events.push(`done ${name}`);
  }));
  assert(syncs < names.length, `${syncs} directory fsyncs for 8 writes`);
  for (const name of names) {
    const renamed = events.indexOf(`rename ${name}`);
    const done = events.indexOf(`done ${name}`);
    const covered = events.some((e, i) => {
      if (i <= renamed || !e.startsWith("sync-start ")) return false;
      const end = events.indexOf(`sync-end ${e.slice(11)}`);
      return end > i && end < done;
    });
    assert(
      covered,
      `${name}: no directory fsync between its rename and its ack`,
    );
    assertEquals(dec(await store.read(name)), name);
  }
});
