/**
 * The example configuration files stay valid, complete (every schema field
 * appears), commented, equal to the defaults, and loopback-only.
 */
import assert from "node:assert/strict";
import YAML from "yaml";
import {
  type ConfigKind,
  loadConfig,
  parseConfig,
  schemas,
} from "../../src/config/mod.ts";
import { listFields } from "../../src/config/schema.ts";
import { isIPv4, parseHostPort } from "../../src/config/net.ts";

const EXAMPLES: Record<ConfigKind, string> = {
  edge: new URL("../../config/edge.example.yaml", import.meta.url).pathname,
  hub: new URL("../../config/hub.example.yaml", import.meta.url).pathname,
};

/** Fields whose example value deliberately differs from the default. */
const NOT_DEFAULT: Record<ConfigKind, string[]> = {
  edge: ["node.name", "workloadApi.entries"],
  hub: [],
};

function tokens(path: string): string[] {
  return path.replace(/\[\]/g, ".[]").split(".");
}

type Lookup =
  | { found: unknown[] }
  | { missing: true }
  | { underNull: true };

/** Values at `path` ("[]" = every item); stops at a null or empty ancestor. */
function valuesAt(root: unknown, toks: string[]): Lookup {
  let nodes: unknown[] = [root];
  for (const t of toks) {
    const next: unknown[] = [];
    for (const n of nodes) {
      if (
        n === null || n === undefined || (Array.isArray(n) && n.length === 0)
      ) {
        return { underNull: true };
      }
      if (t === "[]") next.push(...(n as unknown[]));
      else if (!Object.hasOwn(n as object, t)) return { missing: true };
      else next.push((n as Record<string, unknown>)[t]);
    }
    nodes = next;
  }
  return { found: nodes };
}

for (const kind of ["edge", "hub"] as const) {
  const file = EXAMPLES[kind];

  Deno.test(`the ${kind} example validates with loadConfig()`, async () => {
    const cfg = await loadConfig(kind, file);
    assert.ok(cfg.stateDir.startsWith("/"));
  });

  Deno.test(`every ${kind} schema field appears in the example`, async () => {
    const text = await Deno.readTextFile(file);
    const raw = YAML.parse(text);
    const missing: string[] = [];
    for (const { path } of listFields(schemas[kind])) {
      if (path.endsWith("[]")) continue; // the list itself is checked
      const toks = tokens(path);
      const r = valuesAt(raw, toks);
      if ("missing" in r) missing.push(path);
      if ("underNull" in r) {
        // Inside a section left null/empty: it must be shown in a comment.
        const last = toks[toks.length - 1];
        if (!new RegExp(`^\\s*#\\s*(- )?${last}:`, "m").test(text)) {
          missing.push(`${path} (not even in a comment)`);
        }
      }
    }
    assert.deepEqual(missing, [], `fields missing from ${file}`);
  });

  Deno.test(`every key in the ${kind} example has a comment`, async () => {
    const lines = (await Deno.readTextFile(file)).split("\n");
    const bare: string[] = [];
    lines.forEach((line, i) => {
      if (!/^\s*(- )?[A-Za-z]+:/.test(line) || line.includes(" # ")) return;
      let j = i - 1;
      while (j >= 0 && lines[j].trim() === "") j--;
      if (j < 0 || !lines[j].trim().startsWith("#")) {
        bare.push(`line ${i + 1}: ${line}`);
      }
    });
    assert.deepEqual(bare, []);
  });

  Deno.test(`the ${kind} example uses the defaults except ${NOT_DEFAULT[kind].join(", ") || "nowhere"}`, async () => {
    const example = await loadConfig(kind, file) as unknown as Record<
      string,
      unknown
    >;
    const minimal = parseConfig(
      kind,
      kind === "edge" ? "node: {name: x}" : "",
    ) as unknown as Record<
      string,
      unknown
    >;
    for (const { path, field } of listFields(schemas[kind])) {
      if (path.includes("[]") || field.kind === "object") continue;
      if (NOT_DEFAULT[kind].includes(path)) continue;
      const a = valuesAt(example, tokens(path));
      const b = valuesAt(minimal, tokens(path));
      assert.deepEqual(a, b, path);
    }
  });

  Deno.test(`no address in the ${kind} example is outside 127.0.0.0/8`, async () => {
    const cfg = await loadConfig(kind, file);
    const checked: string[] = [];
    for (const { path, field } of listFields(schemas[kind])) {
      if (!["hostPort", "url", "ip"].includes(field.kind)) continue;
      const r = valuesAt(cfg, tokens(path));
      for (const v of "found" in r ? r.found : []) {
        if (typeof v !== "string") continue;
        const host = field.kind === "hostPort"
          ? parseHostPort(v)!.host
          : field.kind === "url"
          ? new URL(v).hostname
          : v;
        assert.ok(isIPv4(host) && host.startsWith("127."), `${path}: ${v}`);
        checked.push(path);
      }
    }
    assert.ok(checked.length >= (kind === "edge" ? 3 : 4), checked.join(", "));
  });
}
