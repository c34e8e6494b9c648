/**
 * Crash safety under SIGKILL: a child process rewrites a two-member unit in a
 * tight loop and is killed at a random moment, ≥ 100 times. After every kill
 * the unit must load complete and consistent (both members of one
 * generation), never go backwards and never vanish once written.
 * @module
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import { openStore } from "../../src/store/mod.ts";
import { generationOf } from "./_generation.ts";

const KILLS = 120;
const writer = new URL("./_writer.ts", import.meta.url).pathname;

async function startWriter(
  dir: string,
): Promise<
  { child: Deno.ChildProcess; stdout: ReadableStreamDefaultReader<Uint8Array> }
> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", writer, dir],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = child.stdout.getReader();
  const text = new TextDecoder();
  let out = "";
  while (!out.includes("ready\n")) {
    const { value, done } = await stdout.read();
    if (done) {
      const err = text.decode(await new Response(child.stderr).arrayBuffer());
      throw new Error(`writer exited before it was ready: ${out}${err}`);
    }
    out += text.decode(value, { stream: true });
  }
  return { child, stdout };
}

Deno.test("a unit survives ≥ 100 SIGKILLs mid-write complete, consistent and never older", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store-crash-" });
  try {
    let lastGen = 0;
    let fallbacks = 0;
    let midWrite = 0;
    for (let i = 0; i < KILLS; i++) {
      const { child, stdout } = await startWriter(dir);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 55));
      child.kill("SIGKILL");
      const status = await child.status;
      await stdout.cancel();
      await child.stderr.cancel();
      assertEquals(
        status.signal,
        "SIGKILL",
        `writer died on its own in round ${i}`,
      );

      const store = await openStore(dir);
      const got = await store.readUnit("identity", { validate: generationOf });
      if (lastGen > 0) assert(got, `unit vanished after kill ${i + 1}`);
      if (!got) continue;
      if (got.source === "prev") fallbacks++;
      const gen = generationOf(got.members);
      assert(
        gen >= lastGen,
        `generation went back from ${lastGen} to ${gen} after kill ${i + 1}`,
      );
      lastGen = gen;
      const temps = [];
      for await (const e of Deno.readDir(dir)) {
        if (e.name.includes(".tmp-")) temps.push(e.name);
      }
      if (temps.length > 0) midWrite++;
      assert(temps.length <= 2, `temp files pile up: ${temps.join(", ")}`);
    }
    console.log(
      `kills: ${KILLS}, fallbacks to .prev: ${fallbacks}, killed mid-write (temp file left): ` +
        `${midWrite}, last generation: ${lastGen}`,
    );
    // A process crash (unlike a power loss) never leaves a torn current file.
    assertEquals(fallbacks, 0);
    assert(
      lastGen >= KILLS,
      `the writer made too little progress (${lastGen} writes)`,
    );
    assert(midWrite > 0, "no kill landed in the middle of a write");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
