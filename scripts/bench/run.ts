/**
 * `deno task bench`: runs every benchmark script in scripts/bench several
 * times, collects their `BENCH_RESULT` lines (`_report.ts`) and writes the
 * generated table of BENCHMARKS.md (between the `bench:table` markers; the
 * prose around it is left alone): machine, kernel, Deno, date, load average,
 * and per metric the median, min and max of the runs next to its target.
 *
 *   deno run --allow-all --unstable-net scripts/bench/run.ts \
 *     [--runs N] [--only enroll,process] [--quick] [--output FILE] [--verbose]
 *
 * `--quick` uses tiny sizes (proves the runner and the scripts work; the
 * figures are not comparable with the targets). A script that fails (exit
 * code, timeout, no result lines) is shown as failed in the table and makes
 * the runner exit 1. The metric table below is the one place that says
 * which script measures what, with which arguments, against which target.
 * @module
 */
import { parseReports } from "./_report.ts";
import {
  buildRows,
  type MetricDef,
  renderTable,
  replaceRegion,
  type RunFacts,
  type RunOutcome,
} from "./_table.ts";

/** How the runner calls one benchmark script. */
export interface ScriptDef {
  /** File in scripts/bench. */
  file: string;
  /** Arguments of a normal run (sizes as in BENCHMARKS.md's prose). */
  args: string[];
  /** Arguments of a `--quick` run (tiny sizes). */
  quickArgs: string[];
  /** Longest a single run may take. */
  timeoutMs: number;
}

/** The benchmark scripts, in the order they run. */
export const SCRIPTS: Record<string, ScriptDef> = {
  // [N] [C]: N enrollments at the script's default concurrency.
  enroll: {
    file: "enroll.ts",
    args: ["1000"],
    quickArgs: ["40"],
    timeoutMs: 5 * 60_000,
  },
  // [runs]: process starts per run (the median is reported).
  identity: {
    file: "identity.ts",
    args: ["10"],
    quickArgs: ["2"],
    timeoutMs: 5 * 60_000,
  },
  // [--seconds S] [--calls N] [--streams N]
  workload: {
    file: "workload.ts",
    args: [],
    quickArgs: ["--seconds", "0.3", "--calls", "200", "--streams", "50"],
    timeoutMs: 5 * 60_000,
  },
  // [N] [transports] [restarts]: messages per link, reconnect samples.
  hublink: {
    file: "hublink.ts",
    args: ["50000"],
    quickArgs: ["2000", "websocket,quic", "1"],
    timeoutMs: 10 * 60_000,
  },
  // [N]: links held by one hub process (the issue's figure: 5,000).
  hub_connections: {
    file: "hub_connections.ts",
    args: ["5000"],
    quickArgs: ["40"],
    timeoutMs: 15 * 60_000,
  },
  // [cold starts] [idle settle seconds]
  process: {
    file: "process.ts",
    args: ["5", "10"],
    quickArgs: ["2", "2"],
    timeoutMs: 5 * 60_000,
  },
};

/** Every figure of the table: id, words, unit, source script, target. */
export const METRICS: MetricDef[] = [
  {
    id: "enroll.rate",
    label: "Enrollments per second (hub and client processes)",
    unit: "/s",
    script: "enroll",
    target: { op: ">=", value: 200, unit: "/s" },
  },
  {
    id: "enroll.p50",
    label: "Enrollment latency p50",
    unit: "ms",
    script: "enroll",
  },
  {
    id: "enroll.p99",
    label: "Enrollment latency p99",
    unit: "ms",
    script: "enroll",
    target: { op: "<", value: 50, unit: "ms" },
  },
  {
    id: "enroll.hub_cpu",
    label: "Hub CPU per enrollment",
    unit: "ms",
    script: "enroll",
  },
  {
    id: "identity.start_to_cert",
    label: "Runtime start → node certificate on disk (deno run)",
    unit: "ms",
    script: "identity",
    target: { op: "<=", value: 300, unit: "ms" },
  },
  {
    id: "identity.enrollment",
    label: "Enrollment round trip, in-process",
    unit: "ms",
    script: "identity",
  },
  {
    id: "identity.renewal",
    label: "Renewal round trip, in-process",
    unit: "ms",
    script: "identity",
  },
  {
    id: "workload.fetch_p50",
    label: "FetchX509SVID p50 (cached SVID)",
    unit: "ms",
    script: "workload",
    target: { op: "<=", value: 2, unit: "ms" },
  },
  {
    id: "workload.fetch_p99",
    label: "FetchX509SVID p99 (cached SVID)",
    unit: "ms",
    script: "workload",
    target: { op: "<=", value: 10, unit: "ms" },
  },
  {
    id: "workload.stream_rss",
    label: "RSS per held FetchX509SVID stream",
    unit: "KiB",
    script: "workload",
  },
  {
    id: "workload.issuance",
    label: "Local X509-SVID issuance (one core)",
    unit: "/s",
    script: "workload",
    target: { op: ">=", value: 2000, unit: "/s" },
  },
  {
    id: "workload.jwt_mint",
    label: "JWT-SVID mint, uncached",
    unit: "/s",
    script: "workload",
  },
  {
    id: "workload.jwt_mint_cached",
    label: "JWT-SVID mint, cached",
    unit: "/s",
    script: "workload",
  },
  {
    id: "workload.jwt_validate",
    label: "JWT-SVID validate",
    unit: "/s",
    script: "workload",
  },
  {
    id: "hublink.ws.rate",
    label: "Hub link messages/s, WebSocket (durable, hub in its own process)",
    unit: "/s",
    script: "hublink",
    target: { op: ">=", value: 50_000, unit: "/s" },
  },
  {
    id: "hublink.quic.rate",
    label: "Hub link messages/s, QUIC (durable, hub in its own process)",
    unit: "/s",
    script: "hublink",
    target: { op: ">=", value: 50_000, unit: "/s" },
  },
  {
    id: "hublink.ws.reconnect",
    label: "Reconnect after a hub restart, WebSocket",
    unit: "ms",
    script: "hublink",
    target: { op: "<=", value: 2000, unit: "ms" },
  },
  {
    id: "hublink.quic.reconnect",
    label: "Reconnect after a hub restart, QUIC",
    unit: "ms",
    script: "hublink",
    target: { op: "<=", value: 2000, unit: "ms" },
  },
  {
    id: "hubconn.rss_per_link",
    label: "Hub RSS per open node link (5,000 links, one hub process)",
    unit: "KiB",
    script: "hub_connections",
  },
  {
    id: "hubconn.open_rate",
    label: "Node links opened per second (one client process)",
    unit: "/s",
    script: "hub_connections",
  },
  {
    id: "process.cold_start",
    label:
      "Cold start → Workload API answers FetchX509SVID (stored identity, deno run)",
    unit: "ms",
    script: "process",
    target: { op: "<=", value: 150, unit: "ms" },
  },
  {
    id: "process.cold_start_rss",
    label: "Peak RSS at that point (VmHWM)",
    unit: "MiB",
    script: "process",
  },
  {
    id: "process.idle_rss",
    label: "Idle RSS, everything enabled (deno run)",
    unit: "MiB",
    script: "process",
    target: { op: "<=", value: 50, unit: "MiB" },
  },
];

/** Parsed command line of the runner. */
export interface RunnerArgs {
  runs: number;
  only: string[];
  quick: boolean;
  output: string;
  verbose: boolean;
}

const ROOT = new URL("../..", import.meta.url).pathname;
const USAGE =
  "usage: deno task bench [--runs N] [--only a,b] [--quick] [--output FILE] [--verbose]";

/** Parse the runner's flags (strict: unknown flags and scripts are errors). */
export function parseRunnerArgs(argv: readonly string[]): RunnerArgs {
  const out: RunnerArgs = {
    runs: 3,
    only: Object.keys(SCRIPTS),
    quick: false,
    output: `${ROOT}BENCHMARKS.md`,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value; ${USAGE}`);
      return v;
    };
    switch (flag) {
      case "--runs": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) {
          throw new Error(`--runs must be a whole number ≥ 1`);
        }
        out.runs = n;
        break;
      }
      case "--only": {
        const names = value().split(",").map((s) =>
          s.trim().replace(/\.ts$/, "")
        )
          .filter(Boolean);
        const bad = names.find((n) => !(n in SCRIPTS));
        if (bad || names.length === 0) {
          throw new Error(
            `--only: unknown script "${bad ?? ""}"; known: ${
              Object.keys(SCRIPTS).join(", ")
            }`,
          );
        }
        out.only = Object.keys(SCRIPTS).filter((n) => names.includes(n));
        break;
      }
      case "--quick":
        out.quick = true;
        break;
      case "--verbose":
        out.verbose = true;
        break;
      case "--output":
        out.output = value();
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}; ${USAGE}`);
    }
  }
  return out;
}

/** CPU, cores, RAM, kernel and load average, from /proc. */
async function machineFacts() {
  const read = (p: string) => Deno.readTextFile(p).catch(() => "");
  const cpuinfo = await read("/proc/cpuinfo");
  const meminfo = await read("/proc/meminfo");
  const cpu = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ??
    cpuinfo.match(/^(?:Hardware|Model)\s*:\s*(.+)$/m)?.[1].trim() ??
    Deno.build.arch;
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ??
    navigator.hardwareConcurrency;
  const memKiB = Number(meminfo.match(/^MemTotal:\s*(\d+)/m)?.[1] ?? 0);
  const kernel = `${Deno.build.os} ${
    (await read("/proc/sys/kernel/osrelease")).trim() || Deno.osRelease()
  } (${Deno.build.arch})`;
  const load = (await read("/proc/loadavg")).split(" ").slice(0, 3).map(
    Number,
  ) as [number, number, number];
  return { cpu, cores, memTotalMiB: memKiB / 1024, kernel, loadBefore: load };
}

const secs = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s < 60
    ? `${s}s`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
};

let current: Deno.ChildProcess | undefined;

/** Run one script once; never throws (a failure is an outcome). */
async function runOnce(
  name: string,
  def: ScriptDef,
  args: string[],
  run: number,
  opts: RunnerArgs,
  startedAt: number,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const label = `${name} run ${run}/${opts.runs}`;
  console.log(
    `▶ ${label}: ${def.file} ${args.join(" ")} (elapsed ${
      secs(t0 - startedAt)
    })`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-all",
      "--unstable-net",
      `${ROOT}scripts/bench/${def.file}`,
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // Own process group: a timeout or Ctrl-C ends the script's helpers too.
    detached: true,
  }).spawn();
  current = child;
  let out = "";
  let err = "";
  const pump = async (
    s: ReadableStream<Uint8Array>,
    add: (t: string) => void,
  ) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) {
      add(t);
      if (opts.verbose) {
        for (const l of t.split("\n")) if (l) console.log(`  │ ${l}`);
      }
    }
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  const ticker = setInterval(() => {
    console.log(
      `  … ${label} running for ${secs(performance.now() - t0)} (elapsed ${
        secs(performance.now() - startedAt)
      })`,
    );
  }, 15_000);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child, "SIGTERM");
    setTimeout(() => killGroup(child, "SIGKILL"), 10_000);
  }, def.timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  clearInterval(ticker);
  // Helpers the script left behind (e.g. a hub process) go with it; they
  // may hold its output pipes open.
  killGroup(child, "SIGKILL");
  await pumps;
  current = undefined;
  const durationMs = performance.now() - t0;
  let results: RunOutcome["results"] = [];
  let error: string | undefined;
  try {
    results = parseReports(out);
  } catch (e) {
    error = `unreadable BENCH_RESULT line: ${(e as Error).message}`;
  }
  if (timedOut) error = `timed out after ${secs(def.timeoutMs)}`;
  else if (!status.success) {
    error = status.signal
      ? `killed by ${status.signal}`
      : `exit code ${status.code}`;
  } else if (!error && results.length === 0) error = "no BENCH_RESULT lines";
  if (error) {
    console.log(`✘ ${label} failed after ${secs(durationMs)}: ${error}`);
    const tail = (err.trim() || out.trim()).split("\n").slice(-15);
    for (const l of tail) console.log(`  │ ${l}`);
    if (err.trim()) {
      error += ` — ${err.trim().split("\n").at(-1)!.slice(0, 160)}`;
    }
  } else {
    console.log(
      `✔ ${label} in ${secs(durationMs)}: ${
        results.map((r) => `${r.metric} ${+r.value.toFixed(2)} ${r.unit}`)
          .join(", ")
      }`,
    );
  }
  return { script: name, run, ok: !error, error, durationMs, results };
}

function killGroup(child: Deno.ChildProcess, signal: Deno.Signal) {
  try {
    Deno.kill(-child.pid, signal);
  } catch { /* group already gone */ }
}

/** Run the selected scripts and write the table; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let opts: RunnerArgs;
  try {
    opts = parseRunnerArgs(argv);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    return 2;
  }
  const onInt = () => {
    if (current) killGroup(current, "SIGTERM");
    console.log("\nbench: interrupted; BENCHMARKS.md not changed");
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onInt);
  const machine = await machineFacts();
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  console.log(
    `bench: ${machine.cpu}, ${machine.cores} cores; load ${
      machine.loadBefore.join(" ")
    }; ${opts.runs} run(s) of ${opts.only.join(", ")}${
      opts.quick ? " (quick sizes)" : ""
    }`,
  );
  if (machine.loadBefore[0] > machine.cores / 2) {
    console.log(
      "bench: the machine is busy (1-minute load above half the cores): figures will be noisy",
    );
  }
  const startedAt = performance.now();
  const outcomes: RunOutcome[] = [];
  for (const name of opts.only) {
    const def = SCRIPTS[name];
    const args = opts.quick ? def.quickArgs : def.args;
    for (let run = 1; run <= opts.runs; run++) {
      outcomes.push(await runOnce(name, def, args, run, opts, startedAt));
    }
  }
  Deno.removeSignalListener("SIGINT", onInt);
  const notes = outcomes.filter((o) => !o.ok).map((o) =>
    `${o.script} run ${o.run} failed: ${o.error}`
  );
  notes.push(
    "Process figures (`process.*`, `identity.start_to_cert`) are measured under `deno run` (the compiled binary's flags, no `denort` to compile on this machine); a compiled binary skips module resolution and type stripping.",
  );
  const facts: RunFacts = {
    ...machine,
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    date,
    runs: opts.runs,
    quick: opts.quick,
    command: ["deno task bench", ...argv.filter((a) => a !== "--verbose")]
      .join(" "),
    notes,
  };
  const table = renderTable(facts, buildRows(METRICS, outcomes));
  const doc = await Deno.readTextFile(opts.output).catch(() =>
    "# Benchmarks\n"
  );
  await Deno.writeTextFile(opts.output, replaceRegion(doc, table));
  // As `deno fmt` would lay it out, so `deno task check` stays green.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", opts.output],
    cwd: ROOT,
  }).output();
  console.log(`\n${table}\n`);
  console.log(
    `bench: wrote ${opts.output} in ${secs(performance.now() - startedAt)}${
      notes.length > 1 ? ` — ${notes.length - 1} failed run(s)` : ""
    }`,
  );
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
