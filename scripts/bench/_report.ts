/**
 * One line per measured figure, read by `scripts/bench/run.ts` (`deno task
 * bench`), which collects several runs into the table of `BENCHMARKS.md`:
 *
 *   BENCH_RESULT {"metric":"enroll.rate","value":203.4,"unit":"/s"}
 *
 * Benchmarks keep printing their human-readable output as well.
 * @module
 */

/** Units the table knows how to show. */
export type BenchUnit = "ms" | "/s" | "KiB" | "MiB" | "s";

/** Print one result line for the bench runner. */
export function report(metric: string, value: number, unit: BenchUnit): void {
  console.log(`BENCH_RESULT ${JSON.stringify({ metric, value, unit })}`);
}

/** Parse the result lines out of a benchmark's output. */
export function parseReports(
  output: string,
): { metric: string; value: number; unit: BenchUnit }[] {
  const out: { metric: string; value: number; unit: BenchUnit }[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("BENCH_RESULT ")) continue;
    out.push(JSON.parse(line.slice("BENCH_RESULT ".length)));
  }
  return out;
}
