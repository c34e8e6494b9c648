import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../../tests/_fixtures/assert.ts";
import { isEdgeError } from "../errors.ts";
import { lockDir } from "./lock.ts";
import { openStore } from "./store.ts";

const base = Deno.makeTempDirSync({ prefix: "lock-test-" });
globalThis.addEventListener(
  "unload",
  () => Deno.removeSync(base, { recursive: true }),
);
const tempDir = () => Deno.makeTempDir({ dir: base });

Deno.test("a second lock of the same dir is refused until the first is released", async () => {
  const dir = await tempDir();
  const first = await lockDir(dir);
  await assertRejects(() => lockDir(dir), (e) => {
    assert(isEdgeError(e, "STORE_LOCKED"), String(e));
    assertStringIncludes(
      e.message,
      `State dir "${dir}" is in use by pid ${Deno.pid}`,
    );
  });
  first.release();
  first.release(); // idempotent
  using _second = await lockDir(dir);
  assertEquals((await Deno.stat(`${dir}/.lock`)).mode! & 0o777, 0o600);
});

Deno.test("a lock held by another process names its pid and dies with it", async () => {
  const dir = await tempDir();
  const lockUrl = new URL("./lock.ts", import.meta.url).href;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--ext=ts",
      `import { lockDir } from ${JSON.stringify(lockUrl)};
       await lockDir(${JSON.stringify(dir)});
       console.log("locked");
       await new Promise(() => setInterval(() => {}, 1000));`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("locked")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited before locking: ${out}`);
      out += new TextDecoder().decode(value);
    }
    await reader.cancel();
    await assertRejects(() => lockDir(dir), (e) => {
      assert(isEdgeError(e, "STORE_LOCKED"), String(e));
      assertStringIncludes(e.message, `is in use by pid ${child.pid}`);
    });
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  using _lock = await lockDir(dir); // the kernel dropped the dead holder's lock
});

Deno.test("store.lock removes temp files of interrupted writes and nothing else", async () => {
  const dir = await tempDir();
  const store = await openStore(dir);
  await store.write("x", new Uint8Array([1]));
  await Deno.writeFile(`${dir}/.x.tmp-123-1-abcd`, new Uint8Array([9]));
  await Deno.writeFile(`${dir}/.x.prev.tmp-123-2-abcd`, new Uint8Array([9]));
  await Deno.writeFile(`${dir}/x.corrupt-7`, new Uint8Array([9]));
  using _lock = await store.lock();
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assertEquals(names.sort(), [".lock", "x", "x.corrupt-7"]);
});
