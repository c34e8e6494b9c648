import { assertEquals, assertThrows } from "../_fixtures/assert.ts";
import { parseProcStatus, parseTimeReport } from "../../scripts/bench/_proc.ts";

Deno.test("GNU time's -v report gives max RSS, wall time and exit status", async () => {
  // A real report, from the real /usr/bin/time (installed if missing).
  const deps = await new Deno.Command("bash", {
    args: [
      new URL("../../scripts/bench/bench-deps.sh", import.meta.url).pathname,
    ],
  }).output();
  assertEquals(deps.code, 0);
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-v", "sh", "-c", "exit 3"],
    stderr: "piped",
  }).output();
  const real = parseTimeReport(new TextDecoder().decode(out.stderr));
  assertEquals(real.exit, 3);
  assertEquals(real.maxRssMiB > 0, true);
  assertEquals(real.wallMs >= 0, true);

  const sample = [
    "\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03.45",
    "\tMaximum resident set size (kbytes): 102400",
    "\tExit status: 0",
  ].join("\n");
  const r = parseTimeReport(sample);
  assertEquals(r.maxRssMiB, 100);
  assertEquals(Math.round(r.wallMs), (3600 + 2 * 60 + 3.45) * 1000);
  assertEquals(r.exit, 0);
  assertEquals(
    Math.round(
      parseTimeReport(
        "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:00.62\n",
      ).wallMs,
    ),
    620,
  );
});

Deno.test("/proc/<pid>/status gives the resident set and its peak in MiB", () => {
  const own = parseProcStatus(Deno.readTextFileSync("/proc/self/status"));
  assertEquals(own.rss > 0 && own.hwm >= own.rss, true);
  assertEquals(
    parseProcStatus("Name:\tdeno\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n"),
    { rss: 100, hwm: 200 },
  );
  assertThrows(() => parseProcStatus("Name:\tkthreadd\n"));
});
