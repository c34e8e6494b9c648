import { assert, assertEquals } from "../tests/_fixtures/assert.ts";
import { schedule, systemClock, usesCoreTimers } from "./clock.ts";

const CLOCK = new URL("./clock.ts", import.meta.url).href;

/** Output of a Deno process running `code` (with the clock imported). */
async function runWithClock(code: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `import { schedule } from "${CLOCK}";\n${code}`],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert(out.success);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("schedule runs on Deno's core timers here, not the Node timers module behind the global setTimeout", () => {
  // Falling back is correct but costs ~14 ms of CPU at start-up: a Deno
  // upgrade that removes the core timers must be noticed.
  assert(usesCoreTimers);
});

Deno.test("schedule fires once after its delay, a cancelled timer never fires, and sleep honours abort", async () => {
  const t0 = performance.now();
  const fired: string[] = [];
  const done = Promise.withResolvers<void>();
  const cancel = schedule(() => fired.push("cancelled"), 5);
  schedule(() => {
    fired.push("kept");
    done.resolve();
  }, 20);
  cancel();
  await done.promise;
  assert(performance.now() - t0 >= 19, "fired early");
  await systemClock.sleep(10);
  assertEquals(fired, ["kept"]);
  const ac = new AbortController();
  const slept = systemClock.sleep(10_000, ac.signal);
  ac.abort(new Error("stop"));
  const err = await slept.catch((e) => e);
  assertEquals((err as Error).message, "stop");
});

Deno.test("a timer keeps the process alive until it fires; one with ref: false does not", async () => {
  assertEquals(
    await runWithClock(`schedule(() => console.log("fired"), 50);`),
    "fired\n",
  );
  assertEquals(
    await runWithClock(
      `schedule(() => console.log("fired"), 50, { ref: false });`,
    ),
    "",
  );
});
