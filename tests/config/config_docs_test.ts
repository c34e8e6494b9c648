/**
 * `docs/configuration.md` is generated from the schemas and must match them:
 * regenerated in memory, it equals the committed file; it names every field;
 * and every cross-field rule it lists is really enforced.
 */
import { assert, assertEquals } from "../_fixtures/assert.ts";
import {
  CONFIG_DOCS_PATH,
  CROSS_FIELD_RULES,
  REGENERATE_COMMAND,
  renderConfigDocs,
} from "../../scripts/gen_config_docs.ts";
import { ConfigError, parseConfig, schemas } from "../../src/config/mod.ts";
import { listFields } from "../../src/config/schema.ts";

Deno.test("docs/configuration.md is what the generator writes from the current schemas", async () => {
  const want = await renderConfigDocs();
  const have = await Deno.readTextFile(CONFIG_DOCS_PATH).catch(() => "");
  if (have !== want) {
    const a = have.split("\n");
    const b = want.split("\n");
    const i = b.findIndex((line, n) => line !== a[n]);
    throw new Error(
      `docs/configuration.md is out of date with src/config/ ` +
        `(first difference at line ${i + 1}: expected ${
          JSON.stringify(b[i] ?? "(end of file)")
        }, found ${JSON.stringify(a[i] ?? "(end of file)")}).\n` +
        `Regenerate it with: ${REGENERATE_COMMAND}`,
    );
  }
});

Deno.test("the configuration reference shows every schema field of both kinds", async () => {
  const text = await renderConfigDocs();
  const missing: string[] = [];
  for (const kind of ["edge", "hub"] as const) {
    for (const { path, field } of listFields(schemas[kind])) {
      // Scalar list items are described by their list's row.
      if (path.endsWith("[]") && field.kind !== "object") continue;
      // Top-level sections are headings; everything else is a table row.
      const section = field.kind === "object" && !/[.[]/.test(path);
      const shown = section
        ? text.includes(`### \`${path}\``)
        : text.includes(`| \`${path}\``);
      if (!shown) missing.push(`${kind}: ${path}`);
    }
  }
  assertEquals(missing, []);
});

for (const r of CROSS_FIELD_RULES) {
  Deno.test(`documented ${r.kind} rule is enforced: ${r.rule}`, () => {
    let errors: readonly string[] = [];
    try {
      parseConfig(r.kind, r.example);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors = err.errors;
    }
    assert(
      errors.some((e) => e.startsWith(`${r.path}:`)),
      `expected an error at ${r.path}, got ${JSON.stringify(errors)}`,
    );
  });
}
