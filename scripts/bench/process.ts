/**
 * Process-level figures of the runtime, measured from outside with
 * `/usr/bin/time -v` (GNU time: max RSS, wall time) and /proc:
 *
 * - cold start with a stored identity: a hub and an enrolled runtime state
 *   dir are set up once; then the runtime (`src/main.ts run`, the compiled
 *   binary's flags, under `deno run`) is started K times and timed from
 *   spawn until its Workload API socket answers a real FetchX509SVID (the
 *   first SVID message reaches a gRPC client in a separate, already warm
 *   process); `process.cold_start` is the median, `process.cold_start_rss`
 *   the median peak RSS (VmHWM) at that moment;
 * - idle RSS with everything enabled (Workload API, hub link, message API,
 *   admin API, identity and SVID file sinks) after it settles:
 *   `process.idle_rss` (VmRSS from /proc/<pid>/status).
 *
 * There is no `denort` on this machine, so these run under `deno run`, not
 * a compiled binary (which skips module resolution and type stripping).
 * Like a compiled binary, which is an executable file of its own, the
 * runtime runs from a private copy of the `deno` executable: the hub, the
 * probes and this script map the original, so the runtime's file-backed
 * pages are its own (the runtime gives back the start-up ones a few seconds
 * after start-up, `src/memory_trim.ts`, and the kernel does that only for
 * pages no other process maps). `--shared-binary` runs it from the shared
 * executable instead. After the idle figure, one more FetchX509SVID shows
 * how much of the given-back memory a call brings back.
 *
 *   deno run --allow-all scripts/bench/process.ts [K=5] [SETTLE_SECONDS=10] \
 *     [--bundle] [--shared-binary] [-- DENO_FLAG…]
 *
 * `--bundle` runs the runtime from `deno bundle --code-splitting` output
 * instead of the sources (npm packages inlined, one file per lazily loaded
 * part), as a compiled binary built from a bundle would load.
 * Flags after `--` are added to the runtime's `deno run` flags (to weigh
 * e.g. `--v8-flags=--max-semi-space-size=1` before it goes into deno.json).
 *
 * `process.ts --probe SOCKET` is the client, a minimal HTTP/2 gRPC caller
 * (hand-written frames, so its own start-up and channel set-up cost
 * nothing): it prints `ready`, waits for a line on stdin, polls SOCKET
 * until it connects, calls FetchX509SVID until an SVID arrives (retrying
 * a refused call after 2 ms), prints one JSON line and exits without
 * closing the connection (as a crashing workload would).
 * @module
 */
import http from "node:http";
import { cliFlags } from "../_build.ts";
import {
  type Proc,
  ROOT,
  runProgram,
  startSystemHub,
  writeSystemConfigs,
} from "../_system.ts";
import { report } from "./_report.ts";
import { parseProcStatus, parseTimeReport } from "./_proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Milliseconds since the epoch, sub-millisecond, comparable across processes. */
const epochMs = () => performance.timeOrigin + performance.now();
const exists = (p: string) => {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** The client process (see the module doc). */
async function probe(socket: string): Promise<void> {
  console.log("ready");
  const stdin = Deno.stdin.readable.getReader();
  await stdin.read();
  stdin.releaseLock();
  // The socket file, then a connection (polled every millisecond).
  let conn: Deno.UnixConn;
  let socketAt = NaN;
  for (;;) {
    if (exists(socket)) {
      try {
        conn = await Deno.connect({ transport: "unix", path: socket });
        socketAt = epochMs();
        break;
      } catch { /* bound, not yet listening */ }
    }
    await sleep(1);
  }
  // FetchX509SVID on stream 1, 3, 5, … until one answers with an SVID
  // (a Trailers-Only answer such as UNAVAILABLE is retried after 2 ms).
  await conn.write(concat(PREFACE, h2Frame(4, 0, 0, [])));
  let buf = new Uint8Array(0);
  const read = async () => {
    const chunk = new Uint8Array(65536);
    const n = await conn.read(chunk);
    if (n === null) throw new Error("the runtime closed the connection");
    buf = concat(buf, chunk.subarray(0, n));
  };
  for (let stream = 1;; stream += 2) {
    await conn.write(concat(
      h2Frame(1, 0x4, stream, FETCH_X509_HEADERS),
      h2Frame(0, 0x1, stream, [0, 0, 0, 0, 0]),
    ));
    let message = new Uint8Array(0);
    let refused = false;
    while (!refused) {
      while (buf.length < 9 || buf.length < 9 + frameLength(buf)) await read();
      const len = frameLength(buf);
      const [type, flags] = [buf[3], buf[4]];
      const id = new DataView(buf.buffer, buf.byteOffset).getUint32(5);
      const payload = buf.slice(9, 9 + len);
      buf = buf.slice(9 + len);
      if (id !== stream) continue;
      if (type === 0) {
        message = concat(message, payload);
        if (message.length >= 5) {
          const size = new DataView(message.buffer).getUint32(1);
          if (message.length >= 5 + size) {
            const spiffeId = firstSpiffeId(message.subarray(5, 5 + size));
            console.log(
              JSON.stringify({ socketAt, answeredAt: epochMs(), spiffeId }),
            );
            return; // the connection is left open, as a crashing workload would
          }
        }
      } else if (type === 1 && flags & 0x1) refused = true;
      else if (type === 3) refused = true;
    }
    if (stream > 20_000) throw new Error("no SVID after 10,000 calls");
    await sleep(2);
  }
}

const PREFACE = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** HPACK literals (no Huffman, no indexing) of a FetchX509SVID request. */
const FETCH_X509_HEADERS = (() => {
  const str = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  return [
    0x83, // :method POST
    0x86, // :scheme http
    0x04, // :path
    ...str("/SpiffeWorkloadAPI/FetchX509SVID"),
    0x01, // :authority
    ...str("localhost"),
    0x0f, // content-type (static index 31)
    0x10,
    ...str("application/grpc"),
    0x00,
    ...str("te"),
    ...str("trailers"),
    0x00,
    ...str("workload.spiffe.io"),
    ...str("true"),
  ];
})();

function h2Frame(type: number, flags: number, stream: number, p: number[]) {
  const f = new Uint8Array(9 + p.length);
  f.set([p.length >> 16, (p.length >> 8) & 0xff, p.length & 0xff, type, flags]);
  new DataView(f.buffer).setUint32(5, stream);
  f.set(p, 9);
  return f;
}

const frameLength = (b: Uint8Array) => (b[0] << 16) | (b[1] << 8) | b[2];

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `X509SVIDResponse.svids[0].spiffe_id` (both field 1, length-delimited). */
function firstSpiffeId(m: Uint8Array): string {
  const inner = (b: Uint8Array): Uint8Array => {
    if (b[0] !== 0x0a) throw new Error("unexpected X509SVIDResponse");
    let len = 0, shift = 0, at = 1;
    for (;;) {
      const x = b[at++];
      len += (x & 0x7f) * 2 ** shift;
      shift += 7;
      if (x < 0x80) break;
    }
    return b.subarray(at, at + len);
  };
  return new TextDecoder().decode(inner(inner(m)));
}

if (Deno.args[0] === "--probe") {
  await probe(Deno.args[1]);
  Deno.exit(0);
}

const dashes = Deno.args.indexOf("--");
const ours = dashes < 0 ? Deno.args : Deno.args.slice(0, dashes);
const BUNDLE = ours.includes("--bundle");
const SHARED_BINARY = ours.includes("--shared-binary");
const positional = ours.filter((a) =>
  a !== "--bundle" && a !== "--shared-binary"
);
const EXTRA_FLAGS = dashes < 0 ? [] : Deno.args.slice(dashes + 1);
const K = Number(positional[0] ?? 5);
const SETTLE_S = Number(positional[1] ?? 10);
if (!(K >= 1) || !(SETTLE_S >= 0)) {
  console.error(
    "usage: process.ts [cold starts ≥ 1] [settle seconds ≥ 0] [--bundle] [--shared-binary] [-- DENO_FLAG…]",
  );
  Deno.exit(2);
}
const TIME = "/usr/bin/time";

// GNU time, installed from Debian if missing.
const deps = await new Deno.Command("bash", {
  args: [`${ROOT}scripts/bench/bench-deps.sh`],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!deps.success) Deno.exit(1);

/** A warm probe process for `socket`; `go()` starts it, `result` is its answer. */
async function startProbe(socket: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-all",
      import.meta.filename!,
      "--probe",
      socket,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const line = async () => {
    while (!buf.includes("\n")) {
      const r = await lines.read();
      if (r.done) {
        const err = await new Response(child.stderr).text();
        throw new Error(`the probe ended: ${err}`);
      }
      buf += r.value;
    }
    const [l, ...rest] = buf.split("\n");
    buf = rest.join("\n");
    return l;
  };
  if ((await line()) !== "ready") throw new Error("the probe did not start");
  const writer = child.stdin.getWriter();
  return {
    async go() {
      await writer.write(new TextEncoder().encode("go\n"));
    },
    async result(): Promise<
      { socketAt: number; answeredAt: number; spiffeId: string }
    > {
      const r = JSON.parse(await line());
      await writer.close().catch(() => {});
      await child.status;
      return r;
    },
    kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    },
  };
}

/** VmRSS and VmHWM of `pid` in MiB. */
function procMemMiB(pid: number): { rss: number; hwm: number } {
  return parseProcStatus(Deno.readTextFileSync(`/proc/${pid}/status`));
}

/**
 * CPU time `pid` has run so far, ms, over all its threads (schedstat: ns,
 * and time the hypervisor stole is not in it, unlike wall time).
 */
function cpuMs(pid: number): { all: number; main: number } {
  let all = 0, main = 0;
  for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(
        Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/schedstat`)
          .split(" ")[0],
      );
      all += ns;
      if (t.name === String(pid)) main = ns;
    } catch { /* thread gone */ }
  }
  return { all: all / 1e6, main: main / 1e6 };
}

/** RssAnon and RssFile of `pid` in MiB. */
function rssSplitMiB(pid: number): { anon: number; file: number } {
  const text = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (k: string) =>
    Number(text.match(new RegExp(`^${k}:\\s*(\\d+)`, "m"))?.[1]);
  return { anon: kb("RssAnon") / 1024, file: kb("RssFile") / 1024 };
}

/** The pid of the one child of `pid` (the program /usr/bin/time runs). */
function childOf(pid: number): number {
  try {
    const c = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
      .trim();
    if (c) return Number(c.split(/\s+/)[0]);
  } catch { /* kernel without the children file: scan */ }
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) return Number(e.name);
    } catch { /* gone */ }
  }
  throw new Error(`no child process of ${pid}`);
}

const flags = await cliFlags(ROOT);

/** What the runtime runs: the sources, or their bundle (`--bundle`, set below). */
let entry = `${ROOT}src/main.ts`;
/** The runtime's executable: a private copy of deno (set below) or deno itself. */
let runtimeExe = Deno.execPath();

/** Every runtime started (under `time`), to kill any left after a failure. */
const spawned: { child: Deno.ChildProcess; exited(): boolean }[] = [];

/** The runtime under `/usr/bin/time -v -o timeFile`. */
function spawnTimedRuntime(config: string, timeFile: string) {
  const child = new Deno.Command(TIME, {
    args: [
      "-v",
      "-o",
      timeFile,
      runtimeExe,
      "run",
      "--quiet",
      ...flags,
      ...EXTRA_FLAGS,
      entry,
      "run",
      "--config",
      config,
    ],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "";
  let printedAt = NaN;
  let exited = false;
  child.status.then(() => exited = true);
  spawned.push({ child, exited: () => exited });
  const drained = Promise.all([
    (async () => {
      for await (const t of child.stdout.pipeThrough(new TextDecoderStream())) {
        out += t;
        if (isNaN(printedAt) && out.includes("SPIFFE_ENDPOINT_SOCKET=")) {
          printedAt = epochMs();
        }
      }
    })(),
    (async () => {
      for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) {
        err += t;
      }
    })(),
  ]);
  return {
    child,
    stderr: () => err,
    exited: () => exited,
    printedAt: () => printedAt,
    drained,
  };
}
type Timed = ReturnType<typeof spawnTimedRuntime>;

/** The probe's answer, or a failure if the runtime exits or 60 s pass. */
async function served(
  p: Awaited<ReturnType<typeof startProbe>>,
  r: Timed,
) {
  const timeout = sleep(60_000).then(() => "timeout" as const);
  const exit = r.child.status.then(() => "exited" as const);
  const res = await Promise.race([p.result(), timeout, exit]);
  if (typeof res === "string") {
    p.kill();
    throw new Error(
      `the runtime ${
        res === "exited" ? "exited" : "was not serving after 60 s"
      }:\n${r.stderr()}`,
    );
  }
  return res;
}

/** SIGTERM `pid` (the runtime) and wait for /usr/bin/time; fail after 10 s. */
async function stopRuntime(pid: number, r: Timed) {
  Deno.kill(pid, "SIGTERM");
  const late = sleep(10_000).then(() => "late" as const);
  if ((await Promise.race([r.child.status, late])) === "late") {
    Deno.kill(pid, "SIGKILL");
    await r.child.status;
    throw new Error(
      `the runtime did not exit within 10 s of SIGTERM:\n${r.stderr()}`,
    );
  }
  await r.drained;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const f1 = (n: number) => n.toFixed(1);

const dir = await Deno.makeTempDir({ prefix: "edge-bench-process-" });
const procs: Proc[] = [];
let exitCode = 0;
try {
  console.log(
    `process: the runtime runs under \`deno run\` (Deno ${Deno.version.deno}, the compiled binary's flags): ` +
      "no denort on this machine to build the single binary" +
      (EXTRA_FLAGS.length ? `; extra flags: ${EXTRA_FLAGS.join(" ")}` : ""),
  );
  if (BUNDLE) {
    // one file per lazily loaded part (code splitting keeps them lazy), npm
    // packages inlined: what `deno compile` of a bundle would embed
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "deno",
        "--code-splitting",
        "--outdir",
        `${dir}/bundle`,
        `${ROOT}src/main.ts`,
      ],
      cwd: ROOT,
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `deno bundle failed: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    entry = `${dir}/bundle/main.js`;
    console.log(
      `set-up: the runtime runs from a bundle (deno bundle --code-splitting): ${entry}`,
    );
  }
  if (!SHARED_BINARY) {
    runtimeExe = `${dir}/edge-runtime-deno`;
    await Deno.copyFile(Deno.execPath(), runtimeExe);
    await Deno.chmod(runtimeExe, 0o755);
    console.log(
      `set-up: the runtime runs from its own copy of the deno executable (${runtimeExe}), as a compiled binary would`,
    );
  } else {
    console.log(
      "set-up: the runtime runs from the deno executable the hub, the probes and this script share (--shared-binary)",
    );
  }
  // ---- set-up: hub, token, one enrollment, everything enabled
  const sys = await writeSystemConfigs(dir, { nodeName: "bench-node" });
  const sinks = `${dir}/sinks`;
  const edge = (await Deno.readTextFile(sys.edgeConfig)).replace(
    /^identity:\n/m,
    `identity:
  sink:
    certFile: ${sinks}/node/cert.pem
    keyFile: ${sinks}/node/key.pem
    caFile: ${sinks}/node/ca.pem
`,
  ) + `sinks:
  - certFile: ${sinks}/svid/svid.pem
    keyFile: ${sinks}/svid/svid_key.pem
    bundleFile: ${sinks}/svid/bundle.pem
    jwtAudience: bench
    jwtFile: ${sinks}/svid/jwt.token
`;
  await Deno.writeTextFile(sys.edgeConfig, edge);
  console.log("set-up: checking the config, starting the hub");
  await runProgram(["check-config", "--config", sys.edgeConfig]);
  const hub = await startSystemHub(sys);
  procs.push(hub);
  console.log("set-up: first start of the runtime (enrollment)");
  {
    const p = await startProbe(sys.workloadSocket);
    await p.go();
    const r = spawnTimedRuntime(sys.edgeConfig, `${dir}/time-setup.txt`);
    const first = await served(p, r);
    if (first.spiffeId !== sys.workloadSpiffeId) {
      throw new Error(`unexpected SVID ${first.spiffeId}`);
    }
    for (let i = 0; i < 100 && !exists(`${sinks}/svid/jwt.token`); i++) {
      await sleep(50);
    }
    await stopRuntime(childOf(r.child.pid), r);
  }
  console.log(
    `set-up: hub running, node "${sys.nodeName}" enrolled; identity and node intermediate stored in ${sys.edgeStateDir}`,
  );

  // ---- cold start with the stored identity
  const cold: { ms: number; hwm: number; cpu: number; mainCpu: number }[] = [];
  for (let i = 0; i < K; i++) {
    if (exists(sys.workloadSocket)) {
      throw new Error("the previous runtime left its Workload API socket");
    }
    const p = await startProbe(sys.workloadSocket);
    await p.go();
    const t0 = epochMs();
    const timeFile = `${dir}/time-${i}.txt`;
    const r = spawnTimedRuntime(sys.edgeConfig, timeFile);
    const s = await served(p, r);
    const pid = childOf(r.child.pid);
    const mem = procMemMiB(pid);
    const cpu = cpuMs(pid);
    await stopRuntime(pid, r);
    const t = parseTimeReport(await Deno.readTextFile(timeFile));
    if (t.exit !== 0) {
      throw new Error(`runtime exit ${t.exit} after SIGTERM: ${r.stderr()}`);
    }
    const ms = s.answeredAt - t0;
    cold.push({ ms, hwm: mem.hwm, cpu: cpu.all, mainCpu: cpu.main });
    console.log(
      `cold start ${i + 1}/${K}: socket accepts at ${
        f1(s.socketAt - t0)
      } ms, ` +
        `"SPIFFE_ENDPOINT_SOCKET=" printed at ${f1(r.printedAt() - t0)} ms, ` +
        `FetchX509SVID answered at ${f1(ms)} ms (${s.spiffeId}); ` +
        `CPU until then ${f1(cpu.all)} ms (main thread ${f1(cpu.main)}); ` +
        `RSS then ${f1(mem.rss)} MiB, peak ${f1(mem.hwm)} MiB; ` +
        `time -v: max RSS ${f1(t.maxRssMiB)} MiB, wall ${
          f1(t.wallMs)
        } ms until exit`,
    );
  }
  const ms = cold.map((c) => c.ms);
  const coldMs = median(ms);
  const coldRss = median(cold.map((c) => c.hwm));
  console.log(
    `cold start to serving: median ${f1(coldMs)} ms (min ${
      f1(Math.min(...ms))
    }, max ${f1(Math.max(...ms))}); peak RSS median ${f1(coldRss)} MiB; ` +
      `CPU until serving median ${
        f1(median(cold.map((c) => c.cpu)))
      } ms (main thread ${f1(median(cold.map((c) => c.mainCpu)))})`,
  );
  report("process.cold_start", +coldMs.toFixed(1), "ms");
  report("process.cold_start_rss", +coldRss.toFixed(1), "MiB");

  // ---- idle RSS, everything enabled
  const timeFile = `${dir}/time-idle.txt`;
  const p = await startProbe(sys.workloadSocket);
  await p.go();
  const r = spawnTimedRuntime(sys.edgeConfig, timeFile);
  await served(p, r);
  const pid = childOf(r.child.pid);
  await sleep(SETTLE_S * 1000);
  // The admin API starts right after the Workload API's first answer.
  for (let i = 0; i < 500 && !exists(`${dir}/edge-admin.sock`); i++) {
    await sleep(10);
  }
  const status = JSON.parse(
    await adminGet(`${dir}/edge-admin.sock`, "/status"),
  );
  const idle = procMemMiB(pid);
  const split = rssSplitMiB(pid);
  // One more Workload API call, then the memory again: what a call brings
  // back of what the runtime gave back after start-up.
  const again = await startProbe(sys.workloadSocket);
  await again.go();
  await served(again, r);
  await sleep(500);
  const afterCall = procMemMiB(pid);
  const parts = [
    `Workload API ${status.workloadApi ? "serving" : "off"}`,
    `hub link ${status.hubLink?.state}`,
    `message API ${status.messageApi ? "on" : "off"}`,
    "admin API on",
    `sinks ${
      exists(`${sinks}/svid/svid.pem`) && exists(`${sinks}/node/cert.pem`)
        ? "written"
        : "MISSING"
    }`,
  ];
  await stopRuntime(pid, r);
  const t = parseTimeReport(await Deno.readTextFile(timeFile));
  console.log(
    `idle after ${SETTLE_S} s (${parts.join(", ")}): VmRSS ${
      f1(idle.rss)
    } MiB, ` +
      `VmHWM ${f1(idle.hwm)} MiB (of VmRSS: ${f1(split.anon)} MiB anonymous, ` +
      `${
        f1(split.file)
      } MiB file-backed, mostly the deno executable's code); ` +
      `after one more FetchX509SVID: VmRSS ${f1(afterCall.rss)} MiB; ` +
      `time -v: max RSS ${f1(t.maxRssMiB)} MiB, exit ${t.exit}`,
  );
  if (t.exit !== 0) throw new Error(`runtime exit ${t.exit}: ${r.stderr()}`);
  report("process.idle_rss", +idle.rss.toFixed(1), "MiB");

  // ---- for scale: the floor of any `deno run` process
  const floor = await new Deno.Command(TIME, {
    args: ["-v", Deno.execPath(), "run", "--quiet", "data:,0"],
    stdout: "null",
    stderr: "piped",
  }).output();
  const fl = parseTimeReport(new TextDecoder().decode(floor.stderr));
  console.log(
    `for scale: \`deno run\` of an empty program: max RSS ${
      f1(fl.maxRssMiB)
    } MiB, wall ${f1(fl.wallMs)} ms`,
  );
} catch (err) {
  exitCode = 1;
  console.error(`process bench failed: ${(err as Error).stack}`);
} finally {
  // A step that failed may have left a runtime running: never leave it.
  for (const r of spawned) {
    if (r.exited()) continue;
    try {
      Deno.kill(childOf(r.child.pid), "SIGKILL");
    } catch { /* gone */ }
  }
  await Promise.all(procs.map((p) => p.stop().catch(() => 0)));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
Deno.exit(exitCode);

/** GET `path` on the admin API's Unix socket (connection closed after). */
function adminGet(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath, path, agent: false }, (res) => {
      let text = "";
      res.on("data", (c) => text += c);
      res.on("end", () => resolve(text));
    }).on("error", reject);
  });
}
