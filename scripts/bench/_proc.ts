/**
 * Pure readers of process figures for `scripts/bench/process.ts`: GNU
 * time's `-v` report and `/proc/<pid>/status`.
 * @module
 */

/** GNU time's `-v` report: max RSS (MiB), wall time (ms), exit status. */
export function parseTimeReport(
  text: string,
): { maxRssMiB: number; wallMs: number; exit: number } {
  const max = Number(
    text.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1],
  );
  const wall = text.match(
    /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/,
  );
  const wallMs = wall
    ? ((Number(wall[1] ?? 0) * 60 + Number(wall[2])) * 60 + Number(wall[3])) *
      1000
    : NaN;
  const exit = Number(text.match(/Exit status: (\d+)/)?.[1]);
  return { maxRssMiB: max / 1024, wallMs, exit };
}

/** VmRSS and VmHWM (peak) in MiB from the text of `/proc/<pid>/status`. */
export function parseProcStatus(text: string): { rss: number; hwm: number } {
  const kb = (k: string) => {
    const m = text.match(new RegExp(`^${k}:\\s*(\\d+) kB`, "m"));
    if (!m) throw new Error(`/proc/<pid>/status: no ${k} line`);
    return Number(m[1]);
  };
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}
