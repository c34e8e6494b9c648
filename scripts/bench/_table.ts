/**
 * The pure part of the bench runner (`scripts/bench/run.ts`): summarising
 * several runs of a figure (median, min, max), checking it against its
 * target, rendering the BENCHMARKS.md table, and replacing only the
 * generated region between the markers.
 * @module
 */
import type { BenchUnit } from "./_report.ts";

/** Start of the generated region in BENCHMARKS.md. */
export const BEGIN_MARKER = "<!-- bench:table:begin -->";
/** End of the generated region in BENCHMARKS.md. */
export const END_MARKER = "<!-- bench:table:end -->";

/** A target: the measured value must be `op` than `value` (in `unit`). */
export interface Target {
  op: ">=" | "<=" | "<" | ">";
  value: number;
  unit: BenchUnit;
}

/** One row of the table: what is measured, by which script, against what. */
export interface MetricDef {
  /** Metric id as reported by the script, e.g. `enroll.rate`. */
  id: string;
  /** Plain words shown in the table. */
  label: string;
  /** The unit the script reports in. */
  unit: BenchUnit;
  /** Script name (file in scripts/bench without `.ts`). */
  script: string;
  /** No target: shown as "—". */
  target?: Target;
}

/** Median, min and max of a non-empty list. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median (mean of the two middle values for an even count), min, max. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error("summarize: no values");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

const SCALE: Partial<Record<BenchUnit, [BenchUnit, number]>> = {
  s: ["ms", 1000],
  MiB: ["KiB", 1024],
};

/** `value` in `from` expressed in `to`, or undefined when not convertible. */
export function convert(
  value: number,
  from: BenchUnit,
  to: BenchUnit,
): number | undefined {
  if (from === to) return value;
  const base = (u: BenchUnit): [BenchUnit, number] => SCALE[u] ?? [u, 1];
  const [bf, kf] = base(from);
  const [bt, kt] = base(to);
  return bf === bt ? (value * kf) / kt : undefined;
}

/** Whether `value` (in `unit`) meets `target`; undefined if units differ. */
export function meets(
  value: number,
  unit: BenchUnit,
  target: Target,
): boolean | undefined {
  const v = convert(value, unit, target.unit);
  if (v === undefined) return undefined;
  switch (target.op) {
    case ">=":
      return v >= target.value;
    case ">":
      return v > target.value;
    case "<=":
      return v <= target.value;
    case "<":
      return v < target.value;
  }
}

const OP_TEXT: Record<Target["op"], string> = {
  ">=": "≥",
  ">": ">",
  "<=": "≤",
  "<": "<",
};

/** A number for people: thousands separated, 3 significant digits below 100. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 100 || Number.isInteger(v)
    ? 0
    : a >= 10
    ? 1
    : a >= 1
    ? 2
    : 3;
  return v.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** "≥ 200/s", "< 50 ms", or "—". */
export function formatTarget(t?: Target): string {
  if (!t) return "—";
  const sep = t.unit.startsWith("/") ? "" : " ";
  return `${OP_TEXT[t.op]} ${formatNumber(t.value)}${sep}${t.unit}`;
}

/** Outcome of one run of one script. */
export interface RunOutcome {
  script: string;
  /** 1-based run number. */
  run: number;
  ok: boolean;
  /** Why it failed (exit code, timeout, no result lines). */
  error?: string;
  durationMs: number;
  results: { metric: string; value: number; unit: BenchUnit }[];
}

/** One rendered row. */
export interface Row {
  id: string;
  label: string;
  unit: string;
  target: string;
  summary?: Summary;
  /** "met", "not met", "—", "failed", "not reported", "unit mismatch". */
  status: string;
  /** Runs that gave a value / runs attempted. */
  runs: string;
}

/**
 * Rows in the metric table's order, then any metric a script reported that
 * the table does not know (no target). Only runs that succeeded count (a
 * failed run's figures are not trusted). A metric whose script failed in
 * every run is "failed"; one its script never printed is "not reported".
 */
export function buildRows(
  metrics: readonly MetricDef[],
  outcomes: readonly RunOutcome[],
): Row[] {
  const rows: Row[] = [];
  const known = new Set(metrics.map((m) => m.id));
  const valuesOf = (id: string, unit: BenchUnit) => {
    const out: number[] = [];
    for (const o of outcomes) {
      if (!o.ok) continue; // figures of a failed run are not trusted
      for (const r of o.results) {
        if (r.metric !== id) continue;
        const v = convert(r.value, r.unit, unit);
        if (v !== undefined) out.push(v);
      }
    }
    return out;
  };
  for (const m of metrics) {
    const attempted = outcomes.filter((o) => o.script === m.script);
    if (attempted.length === 0) continue; // script not selected (--only)
    const values = valuesOf(m.id, m.unit);
    const base = {
      id: m.id,
      label: m.label,
      unit: m.unit,
      target: formatTarget(m.target),
      runs: `${values.length}/${attempted.length}`,
    };
    if (values.length === 0) {
      const mismatch = attempted.some((o) =>
        o.ok && o.results.some((r) => r.metric === m.id)
      );
      const allFailed = attempted.every((o) => !o.ok);
      rows.push({
        ...base,
        status: mismatch
          ? "unit mismatch"
          : allFailed
          ? "failed"
          : "not reported",
      });
      continue;
    }
    const summary = summarize(values);
    const met = m.target ? meets(summary.median, m.unit, m.target) : undefined;
    rows.push({
      ...base,
      summary,
      status: !m.target ? "—" : met ? "met" : "**not met**",
    });
  }
  const extra = new Map<string, BenchUnit>();
  for (const o of outcomes) {
    if (!o.ok) continue;
    for (const r of o.results) {
      if (!known.has(r.metric) && !extra.has(r.metric)) {
        extra.set(r.metric, r.unit);
      }
    }
  }
  for (const [id, unit] of extra) {
    const values = valuesOf(id, unit);
    const script = outcomes.find((o) =>
      o.results.some((r) => r.metric === id)
    )!.script;
    rows.push({
      id,
      label: `${id} (not in the metric table)`,
      unit,
      target: "—",
      summary: summarize(values),
      status: "—",
      runs: `${values.length}/${
        outcomes.filter((o) => o.script === script).length
      }`,
    });
  }
  return rows;
}

/** Facts about the machine and the run shown above the table. */
export interface RunFacts {
  cpu: string;
  cores: number;
  memTotalMiB: number;
  kernel: string;
  deno: string;
  /** ISO date-time of the start of the runs. */
  date: string;
  /** 1, 5 and 15 minute load averages before the runs. */
  loadBefore: [number, number, number];
  runs: number;
  quick: boolean;
  /** The command line, e.g. `deno task bench --runs 3`. */
  command: string;
  /** Extra notes printed under the table (failures, caveats). */
  notes: string[];
}

const cell = (s: string) => s.replaceAll("|", "\\|");

/** The markdown between the markers (without the markers). */
export function renderTable(facts: RunFacts, rows: readonly Row[]): string {
  const lines: string[] = [];
  lines.push(
    "<!-- generated by scripts/bench/run.ts; edit the prose outside the markers, not this table -->",
    "",
    `Generated by \`${facts.command}\` on ${facts.date}` +
      (facts.quick
        ? " — **quick mode: tiny sizes, not comparable with the targets**"
        : "") +
      ".",
    "",
    `- Machine: ${facts.cpu}, ${facts.cores} cores, ${
      formatNumber(facts.memTotalMiB / 1024)
    } GiB RAM`,
    `- Kernel: ${facts.kernel}`,
    `- Deno: ${facts.deno}`,
    `- Load average before the runs (1/5/15 min): ${
      facts.loadBefore.map((l) => l.toFixed(2)).join(" / ")
    }`,
    `- Runs per script: ${facts.runs}; median, min and max over the runs`,
    "",
    "| metric | id | median | min | max | unit | target | result | runs |",
    "| ------ | -- | -----: | --: | --: | ---- | ------ | ------ | ---- |",
  );
  for (const r of rows) {
    const s = r.summary;
    const num = (v?: number) => (v === undefined ? "—" : formatNumber(v));
    lines.push(
      `| ${cell(r.label)} | \`${r.id}\` | ${s ? num(s.median) : r.status} | ${
        num(s?.min)
      } | ${num(s?.max)} | ${r.unit} | ${r.target} | ${
        s ? r.status : "—"
      } | ${r.runs} |`,
    );
  }
  if (facts.notes.length) {
    lines.push("", ...facts.notes.map((n) => `- ${n}`));
  }
  return lines.join("\n");
}

/**
 * `doc` with the region between the markers replaced by `content`. Without
 * markers, they are inserted after the first `# ` title line (or at the top).
 */
export function replaceRegion(doc: string, content: string): string {
  const block = `${BEGIN_MARKER}\n${content.trimEnd()}\n${END_MARKER}`;
  const b = doc.indexOf(BEGIN_MARKER);
  const e = doc.indexOf(END_MARKER);
  if (b >= 0 && e > b) {
    return doc.slice(0, b) + block + doc.slice(e + END_MARKER.length);
  }
  if (b >= 0 || e >= 0) {
    throw new Error(
      `BENCHMARKS.md: found only one of ${BEGIN_MARKER} and ${END_MARKER} (or in the wrong order)`,
    );
  }
  const title = doc.match(/^# .*\n/m);
  if (!title) return `${block}\n\n${doc}`;
  const at = title.index! + title[0].length;
  const rest = doc.slice(at).replace(/^\n+/, "");
  return `${doc.slice(0, at)}\n${block}\n\n${rest}`;
}
