import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "../_fixtures/assert.ts";
import {
  BEGIN_MARKER,
  buildRows,
  convert,
  END_MARKER,
  formatNumber,
  formatTarget,
  meets,
  type MetricDef,
  renderTable,
  replaceRegion,
  type RunFacts,
  type RunOutcome,
  summarize,
} from "../../scripts/bench/_table.ts";
import { METRICS, parseRunnerArgs, SCRIPTS } from "../../scripts/bench/run.ts";

Deno.test("summarize gives the middle value of an odd count and the mean of the two middle values of an even count", () => {
  assertEquals(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assertEquals(summarize([4, 1, 3, 2]), {
    median: 2.5,
    min: 1,
    max: 4,
    n: 4,
  });
  assertEquals(summarize([7]).median, 7);
  assertThrows(() => summarize([]));
});

Deno.test("units convert between ms and s and between KiB and MiB, not across kinds", () => {
  assertEquals(convert(1.5, "s", "ms"), 1500);
  assertEquals(convert(2048, "KiB", "MiB"), 2);
  assertEquals(convert(3, "/s", "/s"), 3);
  assertEquals(convert(3, "ms", "MiB"), undefined);
});

Deno.test("a value meets its target according to the comparison, in the target's unit", () => {
  assertEquals(meets(200, "/s", { op: ">=", value: 200, unit: "/s" }), true);
  assertEquals(meets(199.9, "/s", { op: ">=", value: 200, unit: "/s" }), false);
  assertEquals(meets(50, "ms", { op: "<", value: 50, unit: "ms" }), false);
  assertEquals(meets(1.9, "s", { op: "<=", value: 2000, unit: "ms" }), true);
  assertEquals(meets(1, "ms", { op: "<=", value: 1, unit: "MiB" }), undefined);
});

Deno.test("numbers and targets read like the prose: separators, few decimals, ≥/≤ signs", () => {
  assertEquals(formatNumber(50_000), "50,000");
  assertEquals(formatNumber(203.44), "203");
  assertEquals(formatNumber(37.26), "37.3");
  assertEquals(formatNumber(1.149), "1.15");
  assertEquals(formatNumber(0.1234), "0.123");
  assertEquals(
    formatTarget({ op: ">=", value: 50_000, unit: "/s" }),
    "≥ 50,000/s",
  );
  assertEquals(formatTarget({ op: "<", value: 50, unit: "ms" }), "< 50 ms");
  assertEquals(formatTarget(undefined), "—");
});

const defs: MetricDef[] = [
  {
    id: "a.rate",
    label: "A rate",
    unit: "/s",
    script: "a",
    target: { op: ">=", value: 100, unit: "/s" },
  },
  {
    id: "a.lat",
    label: "A latency",
    unit: "ms",
    script: "a",
    target: { op: "<=", value: 5, unit: "ms" },
  },
  { id: "a.gone", label: "A gone", unit: "ms", script: "a" },
  {
    id: "b.rss",
    label: "B rss",
    unit: "MiB",
    script: "b",
    target: { op: "<=", value: 50, unit: "MiB" },
  },
  { id: "c.skipped", label: "C", unit: "ms", script: "c" },
];
const ok = (
  script: string,
  run: number,
  results: RunOutcome["results"],
): RunOutcome => ({ script, run, ok: true, durationMs: 1, results });

Deno.test("rows take the median over the runs, mark targets met or not, and keep the metric table's order", () => {
  const rows = buildRows(defs, [
    ok("a", 1, [{ metric: "a.rate", value: 90, unit: "/s" }, {
      metric: "a.lat",
      value: 4,
      unit: "ms",
    }]),
    ok("a", 2, [{ metric: "a.rate", value: 130, unit: "/s" }, {
      metric: "a.lat",
      value: 0.006,
      unit: "s",
    }]),
    ok("a", 3, [{ metric: "a.rate", value: 110, unit: "/s" }, {
      metric: "a.lat",
      value: 5,
      unit: "ms",
    }]),
  ]);
  assertEquals(rows.map((r) => r.id), ["a.rate", "a.lat", "a.gone"]);
  assertEquals(rows[0].summary, { median: 110, min: 90, max: 130, n: 3 });
  assertEquals(rows[0].status, "met");
  assertEquals(rows[1].summary?.max, 6); // 0.006 s shown in ms
  assertEquals(rows[1].status, "met");
  assertEquals(rows[2].status, "not reported");
  assertEquals(rows[2].runs, "0/3");
});

Deno.test("a script that failed every run shows its metrics as failed, and a partly failed one counts only its good runs' figures", () => {
  const rows = buildRows(defs, [
    ok("a", 1, [{ metric: "a.rate", value: 50, unit: "/s" }]),
    {
      script: "a",
      run: 2,
      ok: false,
      error: "exit code 1",
      durationMs: 1,
      results: [{ metric: "a.rate", value: 1e6, unit: "/s" }],
    },
    {
      script: "b",
      run: 1,
      ok: false,
      error: "timed out",
      durationMs: 1,
      results: [],
    },
  ]);
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  assertEquals(byId["a.rate"].runs, "1/2");
  assertEquals(
    byId["a.rate"].summary?.max,
    50,
    "the failed run's figure is left out",
  );
  assertEquals(byId["a.rate"].status, "**not met**");
  assertEquals(byId["b.rss"].status, "failed");
  assertEquals(byId["b.rss"].summary, undefined);
  assert(!("c.skipped" in byId), "a script that was not run has no rows");
});

Deno.test("a metric the table does not know is still shown, without a target", () => {
  const rows = buildRows(defs, [
    ok("b", 1, [{ metric: "b.extra", value: 3, unit: "KiB" }]),
  ]);
  const extra = rows.find((r) => r.id === "b.extra")!;
  assertEquals(extra.target, "—");
  assertEquals(extra.summary?.median, 3);
  assertEquals(extra.runs, "1/1");
});

const facts: RunFacts = {
  cpu: "Test CPU",
  cores: 2,
  memTotalMiB: 24_000,
  kernel: "linux 6.1.0 (x86_64)",
  deno: "2.9.6",
  date: "2026-11-22T10:00:00Z",
  loadBefore: [0.5, 0.75, 1],
  runs: 3,
  quick: false,
  command: "deno task bench",
  notes: ["b run 1 failed: timed out"],
};

Deno.test("the rendered table names the machine, Deno, date and load, and one line per metric with its target and result", () => {
  const rows = buildRows(defs, [
    ok("a", 1, [{ metric: "a.rate", value: 150, unit: "/s" }]),
    {
      script: "b",
      run: 1,
      ok: false,
      error: "timed out",
      durationMs: 1,
      results: [],
    },
  ]);
  const md = renderTable(facts, rows);
  for (
    const s of [
      "Test CPU, 2 cores, 23.4 GiB RAM",
      "Kernel: linux 6.1.0",
      "Deno: 2.9.6",
      "on 2026-11-22T10:00:00Z",
      "0.50 / 0.75 / 1.00",
      "| A rate | `a.rate` | 150 | 150 | 150 | /s | ≥ 100/s | met | 1/1 |",
      "| B rss | `b.rss` | failed | — | — | MiB | ≤ 50 MiB | — | 0/1 |",
      "- b run 1 failed: timed out",
    ]
  ) assertStringIncludes(md, s);
  assert(!md.includes("quick mode"));
  assertStringIncludes(
    renderTable({ ...facts, quick: true }, rows),
    "quick mode",
  );
});

Deno.test("only the region between the markers is replaced; the prose around it stays byte for byte", () => {
  const doc =
    `# Benchmarks\n\nintro\n\n${BEGIN_MARKER}\nold table\n${END_MARKER}\n\n## Prose\n\nkept | as is\n`;
  const out = replaceRegion(doc, "new table\n");
  assertEquals(
    out,
    `# Benchmarks\n\nintro\n\n${BEGIN_MARKER}\nnew table\n${END_MARKER}\n\n## Prose\n\nkept | as is\n`,
  );
  assertEquals(replaceRegion(out, "new table"), out, "idempotent");
});

Deno.test("without markers the region is inserted right after the title", () => {
  assertEquals(
    replaceRegion("# Benchmarks\n\nMeasured on …\n", "T"),
    `# Benchmarks\n\n${BEGIN_MARKER}\nT\n${END_MARKER}\n\nMeasured on …\n`,
  );
  assertEquals(replaceRegion("", "T"), `${BEGIN_MARKER}\nT\n${END_MARKER}\n\n`);
  assertThrows(() =>
    replaceRegion(`# B\n${END_MARKER}\n${BEGIN_MARKER}\n`, "T")
  );
  assertThrows(() => replaceRegion(`# B\n${BEGIN_MARKER}\n`, "T"));
});

Deno.test("the metric table covers every metric id of the benchmark scripts, each from a known script, ids unique", () => {
  const ids = METRICS.map((m) => m.id);
  assertEquals(new Set(ids).size, ids.length);
  for (const m of METRICS) assert(m.script in SCRIPTS, `${m.id}: ${m.script}`);
  for (
    const id of [
      "enroll.rate",
      "enroll.p50",
      "enroll.p99",
      "enroll.hub_cpu",
      "identity.start_to_cert",
      "identity.enrollment",
      "identity.renewal",
      "workload.fetch_p50",
      "workload.fetch_p99",
      "workload.stream_rss",
      "workload.issuance",
      "workload.jwt_mint",
      "workload.jwt_mint_cached",
      "workload.jwt_validate",
      "hublink.ws.rate",
      "hublink.quic.rate",
      "hublink.ws.reconnect",
      "hublink.quic.reconnect",
      "hubconn.rss_per_link",
      "hubconn.open_rate",
      "process.cold_start",
      "process.cold_start_rss",
      "process.idle_rss",
    ]
  ) assert(ids.includes(id), `missing ${id}`);
  for (const s of Object.values(SCRIPTS)) {
    assert(
      Deno.statSync(new URL(`../../scripts/bench/${s.file}`, import.meta.url))
        .isFile,
    );
  }
});

Deno.test("the runner's flags: runs, only (in the scripts' order), quick; unknown flags and scripts are refused", () => {
  const d = parseRunnerArgs([]);
  assertEquals(d.runs, 3);
  assertEquals(d.only, Object.keys(SCRIPTS));
  const o = parseRunnerArgs([
    "--runs",
    "5",
    "--only=process,enroll",
    "--quick",
  ]);
  assertEquals([o.runs, o.only, o.quick], [5, ["enroll", "process"], true]);
  assertThrows(() => parseRunnerArgs(["--runs", "0"]));
  assertThrows(() => parseRunnerArgs(["--only", "nope"]));
  assertThrows(() => parseRunnerArgs(["--fast"]));
  assertThrows(() => parseRunnerArgs(["--runs"]));
});
