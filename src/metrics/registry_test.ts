import {
  assert,
  assertEquals,
  assertThrows,
} from "../../tests/_fixtures/assert.ts";
import { MetricsRegistry } from "./registry.ts";

const is = (kind: ErrorConstructor) => (err: unknown) =>
  assert(err instanceof kind, `expected ${kind.name}, got ${err}`);

Deno.test("an empty registry renders an empty body", () => {
  assertEquals(new MetricsRegistry().render(), "");
});

Deno.test("a counter renders HELP, TYPE and one sample per line, ending in a newline", () => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: "edge_runtime_x_total", help: "Things." });
  c.inc();
  c.inc(undefined, 2);
  assertEquals(
    r.render(),
    "# HELP edge_runtime_x_total Things.\n" +
      "# TYPE edge_runtime_x_total counter\n" +
      "edge_runtime_x_total 3\n",
  );
  assertEquals(c.value(), 3);
});

Deno.test("labelled series render in label-value order and families in name order", () => {
  const r = new MetricsRegistry();
  const g = r.gauge({ name: "edge_runtime_b", help: "B." });
  g.set(undefined, 1.5);
  const c = r.counter({
    name: "edge_runtime_a_total",
    help: "A.",
    labelNames: ["method", "code"],
  });
  c.inc({ method: "Z", code: "0" });
  c.inc({ code: "7", method: "A" });
  c.inc({ method: "A", code: "0" }, 4);
  assertEquals(
    r.render(),
    [
      "# HELP edge_runtime_a_total A.",
      "# TYPE edge_runtime_a_total counter",
      'edge_runtime_a_total{method="A",code="0"} 4',
      'edge_runtime_a_total{method="A",code="7"} 1',
      'edge_runtime_a_total{method="Z",code="0"} 1',
      "# HELP edge_runtime_b B.",
      "# TYPE edge_runtime_b gauge",
      "edge_runtime_b 1.5",
      "",
    ].join("\n"),
  );
  assertEquals(r.render(), r.render());
});

Deno.test("label values escape backslash, double quote and line feed; HELP escapes backslash and line feed", () => {
  const r = new MetricsRegistry();
  const c = r.counter({
    name: "edge_runtime_e_total",
    help: 'Path C:\\x\nsecond "line"',
    labelNames: ["v"],
  });
  c.inc({ v: 'a\\b"c\nd' });
  const lines = r.render().split("\n");
  assertEquals(
    lines[0],
    '# HELP edge_runtime_e_total Path C:\\\\x\\nsecond "line"',
  );
  assertEquals(lines[2], 'edge_runtime_e_total{v="a\\\\b\\"c\\nd"} 1');
  assertEquals(lines.length, 4); // three lines and the final newline
});

Deno.test("NaN and infinities are written as Go's ParseFloat reads them", () => {
  const r = new MetricsRegistry();
  const g = r.gauge({ name: "g", help: "G.", labelNames: ["k"] });
  g.set({ k: "a" }, NaN);
  g.set({ k: "b" }, Infinity);
  g.set({ k: "c" }, -Infinity);
  g.set({ k: "d" }, -0);
  g.set({ k: "e" }, 1e21);
  const samples = r.render().split("\n").filter((l) => l && !l.startsWith("#"));
  assertEquals(samples, [
    'g{k="a"} NaN',
    'g{k="b"} +Inf',
    'g{k="c"} -Inf',
    'g{k="d"} 0',
    'g{k="e"} 1e+21',
  ]);
});

Deno.test("a collected gauge is computed at each render and may have no sample", () => {
  const r = new MetricsRegistry();
  let v: number | undefined;
  r.gauge({ name: "edge_runtime_c", help: "C.", collect: () => v });
  assertEquals(r.render(), "");
  v = 42;
  assertEquals(r.render().split("\n")[2], "edge_runtime_c 42");
  v = 43;
  assertEquals(r.render().split("\n")[2], "edge_runtime_c 43");
});

Deno.test("a collected labelled gauge renders the samples it returns, sorted; wrong labels are dropped", () => {
  const r = new MetricsRegistry();
  r.gauge({
    name: "edge_runtime_phase",
    help: "Phase.",
    labelNames: ["phase"],
    collect: () => [
      { labels: { phase: "valid" }, value: 1 },
      { labels: { phase: "expired" }, value: 0 },
      { labels: { nope: "x" } as unknown as { phase: string }, value: 5 },
    ],
  });
  assertEquals(r.render().split("\n").slice(2), [
    'edge_runtime_phase{phase="expired"} 0',
    'edge_runtime_phase{phase="valid"} 1',
    "",
  ]);
});

Deno.test("a collector that throws leaves its family out of that scrape only", () => {
  const r = new MetricsRegistry();
  let fail = true;
  r.gauge({
    name: "a",
    help: "A.",
    collect: () => {
      if (fail) throw new Error("boom");
      return 1;
    },
  });
  r.counter({ name: "b_total", help: "B." }).inc();
  assertEquals(
    r.render(),
    "# HELP b_total B.\n# TYPE b_total counter\nb_total 1\n",
  );
  fail = false;
  assert(r.render().includes("\na 1\n"));
});

Deno.test("a labelled counter that was never incremented is left out", () => {
  const r = new MetricsRegistry();
  r.counter({ name: "x_total", help: "X.", labelNames: ["k"] });
  assertEquals(r.render(), "");
});

Deno.test("bad names, duplicate names, bad labels and decreasing counters are refused", () => {
  const r = new MetricsRegistry();
  assertThrows(() => r.counter({ name: "1bad", help: "" }), is(TypeError));
  assertThrows(() => r.counter({ name: "has-dash", help: "" }), is(TypeError));
  r.counter({ name: "ok_total", help: "" });
  assertThrows(() => r.gauge({ name: "ok_total", help: "" }), is(TypeError));
  assertThrows(
    () => r.counter({ name: "l_total", help: "", labelNames: ["__x"] }),
    is(TypeError),
  );
  assertThrows(
    () => r.counter({ name: "m_total", help: "", labelNames: ["a", "a"] }),
    is(TypeError),
  );
  const c = r.counter({ name: "n_total", help: "", labelNames: ["a"] });
  assertThrows(() => c.inc(), is(TypeError));
  assertThrows(
    () => c.inc({ a: "x", b: "y" } as unknown as { a: string }),
    is(TypeError),
  );
  assertThrows(() => c.inc({ a: "x" }, -1), is(RangeError));
  assertThrows(() => c.inc({ a: "x" }, NaN), is(RangeError));
  const g = r.gauge({ name: "g", help: "", collect: () => 1 });
  assertThrows(() => g.set(undefined, 2), is(TypeError));
});

Deno.test("gauges go up and down", () => {
  const r = new MetricsRegistry();
  const g = r.gauge({ name: "open", help: "Open." });
  g.inc();
  g.inc();
  g.inc(undefined, -1);
  assertEquals(g.value(), 1);
  assertEquals(r.render().split("\n")[2], "open 1");
});

Deno.test("a collected counter reads its count at each render and cannot be incremented", () => {
  const r = new MetricsRegistry();
  const kept: { n?: number } = {};
  const c = r.counter({
    name: "kept_total",
    help: "Kept.",
    collect: () => kept.n,
  });
  assertEquals(r.render(), "");
  kept.n = 3;
  assertEquals(
    r.render(),
    "# HELP kept_total Kept.\n# TYPE kept_total counter\nkept_total 3\n",
  );
  r.counter({
    name: "by_total",
    help: "By.",
    labelNames: ["t"],
    collect: () => [{ labels: { t: "b" }, value: 2 }, {
      labels: { t: "a" },
      value: 1,
    }],
  });
  assertEquals(r.render().split("\n").slice(2, 4), [
    'by_total{t="a"} 1',
    'by_total{t="b"} 2',
  ]);
  assertThrows(() => c.inc(), is(TypeError));
  assertThrows(() => c.child(), is(TypeError));
});

Deno.test("a counter child is its labelled series, rendered at 0 from the start", () => {
  const r = new MetricsRegistry();
  const c = r.counter({ name: "hits_total", help: "H.", labelNames: ["t"] });
  const ws = c.child({ t: "websocket" });
  assertEquals(r.render().split("\n")[2], 'hits_total{t="websocket"} 0');
  ws.inc();
  ws.inc(2);
  c.inc({ t: "websocket" });
  assertEquals([ws.value(), c.value({ t: "websocket" })], [4, 4]);
  assertThrows(() => ws.inc(-1), is(RangeError));
  assertThrows(
    () => c.child({ x: "y" } as unknown as { t: string }),
    is(TypeError),
  );
});
