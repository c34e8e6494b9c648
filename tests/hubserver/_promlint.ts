/**
 * Test fixture: check a Prometheus text exposition with the real thing —
 * the official parser (prometheus/common expfmt) and linter (client_golang
 * promlint, what `promtool check metrics` runs), built once from
 * `tests/hubserver/promlint/` with Go and the Go module proxy into a cache
 * directory (`${TMPDIR:-/tmp}/edge-runtime-promlint`).
 * @module
 */
const SRC = new URL("./promlint/", import.meta.url).pathname;

async function mtime(path: string): Promise<number> {
  return (await Deno.stat(path)).mtime?.getTime() ?? 0;
}

/** Path of the built checker, building it when missing or older than its source. */
export async function promlintBinary(): Promise<string> {
  const cache = `${Deno.env.get("TMPDIR") ?? "/tmp"}/edge-runtime-promlint`;
  const bin = `${cache}/promlint`;
  const newest = Math.max(
    await mtime(`${SRC}/main.go`),
    await mtime(`${SRC}/go.mod`),
  );
  const built = await mtime(bin).catch(() => 0);
  if (built >= newest) return bin;
  await Deno.mkdir(cache, { recursive: true });
  const tmp = `${bin}.${Deno.pid}`;
  const out = await new Deno.Command("go", {
    args: ["build", "-o", tmp, "."],
    cwd: SRC,
    env: { GOFLAGS: "-mod=mod -buildvcs=false" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `building the promlint checker failed (needs go and the Go module proxy):\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  await Deno.rename(tmp, bin);
  return bin;
}

/**
 * Parse and lint `text`; resolves with the problems found (one line each,
 * `metric: problem`), empty when clean. Rejects when it does not parse.
 */
export async function promlint(text: string): Promise<string[]> {
  const child = new Deno.Command(await promlintBinary(), {
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  if (out.code === 2) {
    throw new Error(`not valid text format 0.0.4: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout).split("\n").filter((l) => l);
}
