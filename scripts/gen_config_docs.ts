/**
 * Writes `docs/configuration.md` from the configuration schemas
 * (`src/config/edge.ts`, `src/config/_edge_workload.ts`, `src/config/hub.ts`):
 * every field path with its type, allowed values, default and doc, so the
 * reference cannot drift from the code. `tests/config/config_docs_test.ts`
 * regenerates it in memory and fails when the file differs.
 *
 *   deno run --allow-read --allow-write --allow-run scripts/gen_config_docs.ts          # write
 *   deno run --allow-read --allow-write --allow-run scripts/gen_config_docs.ts --check  # exit 1 if stale
 *
 * The output goes through `deno fmt` (the same formatter `deno task check`
 * runs), so the committed file is both generated and formatted.
 * @module
 */
import { type ConfigKind, schemas, SELECTOR_KINDS } from "../src/config/mod.ts";
import { type AnyField, listFields } from "../src/config/schema.ts";

/** Where the reference is written. */
export const CONFIG_DOCS_PATH: string =
  new URL("../docs/configuration.md", import.meta.url).pathname;

/** The command that regenerates the reference (quoted in messages). */
export const REGENERATE_COMMAND = "deno task docs";

/** A rule spanning several fields (the schemas' `refine` checks). */
export interface CrossFieldRule {
  kind: ConfigKind;
  /** The rule, in words. */
  rule: string;
  /** A configuration that breaks it (checked by the docs test). */
  example: string;
  /** The path the resulting error names. */
  path: string;
}

const NODE = "node: {name: pi-1}\n";

/**
 * The cross-field rules of the schemas. `refine` functions cannot be read
 * back, so they are listed here; the docs test proves each example is
 * refused with an error naming `path`.
 */
export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  {
    kind: "edge",
    rule: "`identity.token` and `identity.tokenFile` exclude each other.",
    example: `${NODE}identity: {token: a.b.c.d, tokenFile: /t}`,
    path: "identity.tokenFile",
  },
  {
    kind: "edge",
    rule: "`identity.wipeTokenFile: true` needs `identity.tokenFile`.",
    example: `${NODE}identity: {wipeTokenFile: true}`,
    path: "identity.wipeTokenFile",
  },
  {
    kind: "edge",
    rule: "`identity.renewal.renewAfterMin` ≤ `renewAfterMax`.",
    example:
      `${NODE}identity: {renewal: {renewAfterMin: 0.9, renewAfterMax: 0.8}}`,
    path: "identity.renewal.renewAfterMin",
  },
  {
    kind: "edge",
    rule: "`identity.renewal.backoffInitial` ≤ `backoffMax`.",
    example:
      `${NODE}identity: {renewal: {backoffInitial: 1m, backoffMax: 30s}}`,
    path: "identity.renewal.backoffInitial",
  },
  {
    kind: "edge",
    rule:
      "`identity.upstream: vault` needs `vault.address`, `vault.role` and `vault.tokenFile`.",
    example: `${NODE}identity: {upstream: vault}`,
    path: "vault.address",
  },
  {
    kind: "edge",
    rule:
      "Every `workloadApi.entries[].spiffeId` and `sinks[].spiffeId` is in `trustDomain`.",
    example:
      `${NODE}workloadApi: {entries: [{spiffeId: "spiffe://other.org/a", selectors: ["unix:uid:0"]}]}`,
    path: "workloadApi.entries[0].spiffeId",
  },
  {
    kind: "edge",
    rule:
      "`workloadApi.svidTtl` and every `workloadApi.entries[].ttl` ≤ `workloadApi.intermediateTtl`.",
    example: `${NODE}workloadApi: {svidTtl: 2h, intermediateTtl: 1h}`,
    path: "workloadApi.svidTtl",
  },
  {
    kind: "edge",
    rule: "`sinks[].jwtAudience` and `sinks[].jwtFile` are set together.",
    example:
      `${NODE}sinks: [{certFile: /c, keyFile: /k, bundleFile: /b, jwtAudience: db}]`,
    path: "sinks[0].jwtFile",
  },
  {
    kind: "hub",
    rule: "`ca.mode: import` needs `ca.certFile` and `ca.keyFile`.",
    example: "ca: {mode: import}",
    path: "ca.certFile",
  },
  {
    kind: "hub",
    rule: "`ca.offlineRoot` is only allowed with `ca.mode: import`.",
    example: "ca: {offlineRoot: {certFile: /root.pem}}",
    path: "ca.offlineRoot",
  },
  {
    kind: "hub",
    rule:
      "With `ca.mode: generate`, `enroll.nodeCertTtl` and `enroll.intermediateTtl` ≤ `ca.ttl`.",
    example: "ca: {ttl: 2d}\nenroll: {intermediateTtl: 7d}",
    path: "enroll.intermediateTtl",
  },
  {
    kind: "hub",
    rule: "`websocket.listen` differs from `enroll.listen`.",
    example:
      'enroll: {listen: "127.0.0.1:9000"}\nwebsocket: {listen: "127.0.0.1:9000"}',
    path: "websocket.listen",
  },
];

const TITLES: Record<ConfigKind, string> = {
  edge: "Device runtime (`edge.yaml`)",
  hub: "Reference hub (`hub.yaml`)",
};

const INTROS: Record<ConfigKind, string> = {
  edge: "Read by `edge-runtime run --config FILE`. Example with every field: " +
    "[`config/edge.example.yaml`](../config/edge.example.yaml). Only " +
    "`node.name` is required.",
  hub:
    "Read by `edge-runtime hub --config FILE` and by the `token` and `node` " +
    "commands. Example with every field: " +
    "[`config/hub.example.yaml`](../config/hub.example.yaml). Nothing is " +
    "required. At start the hub also checks that the host of each listen " +
    "address is among `enroll.dnsNames` / `enroll.ipAddresses` " +
    "([hub.md](hub.md)).",
};

const code = (s: string) => "`" + s.replaceAll("`", "'") + "`";
const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/**
 * The duration bounds of a field, read back from its decoder (the toolkit
 * keeps `min`/`max` of durations only in the check itself).
 */
function durationBounds(field: AnyField): string[] {
  const issue = (raw: string) => {
    const ctx = { issues: [] as string[], findKey: () => [] };
    field.decode(raw, "x", ctx);
    return ctx.issues[0] ?? "";
  };
  const out: string[] = [];
  const min = /\(must be at least (.+)\)$/.exec(issue("0ms"));
  if (min) out.push(`≥ ${min[1]}`);
  const max = /\(must be at most (.+)\)$/.exec(issue("999999w"));
  if (max) out.push(`≤ ${max[1]}`);
  return out;
}

/** The "type" cell: what a value must look like. */
function typeOf(field: AnyField): string {
  switch (field.kind) {
    case "string":
      return field.expected === "a non-empty string"
        ? "string"
        : `string: ${field.expected}`;
    case "int":
    case "number":
    case "url":
    case "custom":
      return field.expected;
    case "bool":
      return "`true` or `false`";
    case "duration":
      return ["duration", ...durationBounds(field)].join(", ");
    case "enum":
      return "one of " + (field.values ?? []).map(code).join(", ");
    case "path":
      return "absolute path";
    case "hostPort":
      return "`host:port`";
    case "ip":
      return "IP address";
    case "list": {
      const min = Number(/at least (\d+) item/.exec(field.expected)?.[1] ?? 0);
      const of = field.item ? typeOf(field.item) : "values";
      if (field.item?.kind === "object") {
        return min ? `list of at least ${min} mappings` : "list of mappings";
      }
      const head = min
        ? `list of at least ${min} item${min > 1 ? "s" : ""}`
        : "list";
      return `${head}; each: ${of}`;
    }
    case "object":
      return "mapping";
    case "map":
      return "mapping of names to values";
  }
}

/** The "default" cell. */
function defaultOf(field: AnyField): string {
  if (field.kind === "object") {
    return field.presence === "optional" ? "absent (off)" : "";
  }
  switch (field.presence) {
    case "required":
      return "**required**";
    case "optional":
      return "absent";
    case "default":
      return code(JSON.stringify(field.defaultRaw));
  }
}

function docOf(field: AnyField): string {
  const secret = field.secret ? " Secret: never shown in messages." : "";
  return field.doc + secret;
}

function table(rows: string[][]): string[] {
  const header = ["field", "type", "default", "description"];
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
  ];
}

function renderKind(kind: ConfigKind): string[] {
  const schema = schemas[kind];
  const entries = listFields(schema);
  const top = Object.entries(schema.fields ?? {});
  const out = [`## ${TITLES[kind]}`, "", INTROS[kind], ""];
  const isSection = (f: AnyField) =>
    f.kind === "object" || (f.kind === "list" && f.item?.kind === "object");
  const leaves = top.filter(([, f]) => !isSection(f));
  if (leaves.length > 0) {
    out.push("### Top level", "");
    out.push(
      ...table(
        leaves.map(([k, f]) => [code(k), typeOf(f), defaultOf(f), docOf(f)]),
      ),
      "",
    );
  }
  for (const [key, section] of top) {
    if (!isSection(section)) continue;
    out.push(`### \`${key}\``, "", docOf(section), "");
    const own = section.kind === "list"
      ? [[code(key), typeOf(section), defaultOf(section), docOf(section)]]
      : [];
    const rows = own.concat(
      entries
        .filter((e) =>
          e.path.startsWith(`${key}.`) || e.path.startsWith(`${key}[]`)
        )
        // A list's item row only when the item is a mapping (its own doc);
        // a scalar item is described by the list's type.
        .filter((e) => !e.path.endsWith("[]") || e.field.kind === "object")
        .map((e) => [
          code(e.path),
          typeOf(e.field),
          e.path.endsWith("[]") ? "" : defaultOf(e.field),
          docOf(e.field),
        ]),
    );
    out.push(...table(rows), "");
  }
  const rules = CROSS_FIELD_RULES.filter((r) => r.kind === kind);
  out.push("### Rules across fields", "");
  for (const r of rules) out.push(`- ${r.rule}`);
  out.push("");
  return out;
}

/** The reference as Markdown, before formatting (pure). */
export function renderConfigDocsRaw(): string {
  const out = [
    "# Configuration reference",
    "",
    `<!-- Generated from src/config/ by scripts/gen_config_docs.ts; do not edit. Regenerate: ${REGENERATE_COMMAND} -->`,
    "",
    "Both programs read one YAML file each, validated against a schema " +
    "before anything starts. `edge-runtime check-config --config FILE` " +
    "prints `OK` or every problem at once (`path: expected X, got Y`; " +
    "unknown keys get a did-you-mean). `--state-dir DIR` on the command " +
    "line replaces `stateDir`.",
    "",
    "How to read the tables:",
    "",
    "- **field**: the dotted path; `[]` is every item of a list " +
    "(`sinks[].certFile` is `certFile` in each item of `sinks`).",
    "- **default**: the value used when the key is absent or `null`, as " +
    "written in YAML; **required** must be set; _absent_ means the " +
    "feature or value is off/unset unless given. A section whose fields " +
    "all have defaults can be left out entirely.",
    "- **duration**: a string of `<number><unit>` parts, largest unit " +
    'first: `w`, `d`, `h`, `m`, `s`, `ms` — e.g. `"90s"`, `"1h30m"`, ' +
    '`"7d"`. A bare number is refused (add a unit).',
    '- **socket modes** are octal strings and must be quoted (`"0660"`).',
    "- **selectors** are `type:key:value`; the kinds are " +
    SELECTOR_KINDS.map(code).join(", ") +
    " ([workload-api.md](workload-api.md)).",
    "- Keys are case-sensitive; YAML booleans are `true`/`false` only.",
    "",
    ...renderKind("edge"),
    ...renderKind("hub"),
  ];
  return out.join("\n") + "\n";
}

/** Format Markdown with `deno fmt` (what `deno task check` enforces). */
export async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `deno fmt failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** The reference as committed: generated, then formatted. */
export async function renderConfigDocs(): Promise<string> {
  return await formatMarkdown(renderConfigDocsRaw());
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const want = await renderConfigDocs();
  if (check) {
    const have = await Deno.readTextFile(CONFIG_DOCS_PATH).catch(() => "");
    if (have !== want) {
      console.error(
        `docs/configuration.md is out of date; run: ${REGENERATE_COMMAND}`,
      );
      Deno.exit(1);
    }
    console.log("docs/configuration.md is up to date");
  } else {
    await Deno.writeTextFile(CONFIG_DOCS_PATH, want);
    console.log(`wrote ${CONFIG_DOCS_PATH}`);
  }
}
