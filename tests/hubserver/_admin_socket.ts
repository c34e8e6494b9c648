/**
 * Test fixture: read the hub's admin socket with real `curl`, and pick
 * samples out of a Prometheus text exposition.
 * @module
 */

/** GET `path` on the Unix socket with curl (no credential). */
export async function curlSocket(
  socket: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string; body: string }> {
  const args = ["-sS", "--unix-socket", socket];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push("-w", "\n%{http_code} %{content_type}", `http://x${path}`);
  const out = await new Deno.Command("curl", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  if (!out.success) throw new Error(`curl failed: ${dec.decode(out.stderr)}`);
  const text = dec.decode(out.stdout);
  const cut = text.lastIndexOf("\n");
  const [code, ...type] = text.slice(cut + 1).split(" ");
  return {
    status: Number(code),
    contentType: type.join(" "),
    body: text.slice(0, cut),
  };
}

/** The value of `series` (name and labels exactly as rendered), or undefined. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** `/metrics` of the hub on `socket`. */
export async function scrape(socket: string): Promise<string> {
  const r = await curlSocket(socket, "/metrics");
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return r.body;
}
