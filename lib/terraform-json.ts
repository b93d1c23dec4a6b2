/**
 * Corrections to the Terraform JSON that CDKTF 0.21 emits, applied to every
 * stack when it is rendered (ProjectStack.toTerraform).
 *
 * Terraform's JSON syntax reads a few arguments as static references, not as
 * string templates: an output's `depends_on` and a resource's
 * `lifecycle.replace_triggered_by` must each hold a bare address such as
 * `time_static.gate`. CDKTF writes those two places as the interpolation
 * `"${time_static.gate}"`, which Terraform rejects for the whole configuration
 * ("A single static variable reference is required", "Invalid character").
 * Resource and data-source `depends_on` are already bare and pass through.
 *
 * The rewrite accepts exactly one interpolated reference per entry; anything
 * else (a function call, two references, a literal) is a programming error
 * and stops synthesis with the place named.
 */
import { Fn } from "cdktf";

/** A Terraform address: `type.name`, `data.type.name`, `module.name`, with optional attribute steps. */
const STATIC_REFERENCE = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+$/;
const SINGLE_INTERPOLATION = /^\$\{([^${}]+)\}$/;

export class TerraformJsonError extends Error {}

/** `"${a.b}"` → `"a.b"`; a bare `a.b` stays; anything else throws, naming `where`. */
export function staticReference(entry: unknown, where: string): string {
  if (typeof entry !== "string") {
    throw new TerraformJsonError(`${where}: expected a reference such as "time_static.gate", got ${JSON.stringify(entry)}`);
  }
  const inner = SINGLE_INTERPOLATION.exec(entry)?.[1] ?? entry;
  if (!STATIC_REFERENCE.test(inner)) {
    throw new TerraformJsonError(
      `${where}: Terraform accepts only a single static reference here (such as "time_static.gate"), got ${JSON.stringify(entry)}`,
    );
  }
  return inner;
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Calls `visit` with each resource and data-source body and its address (`type.name`, `data.type.name`). */
export function forEachBlock(tf: Json, visit: (address: string, body: Json) => void): void {
  for (const [block, prefix] of [
    ["resource", ""],
    ["data", "data."],
  ] as const) {
    const types = tf[block];
    if (!isObject(types)) continue;
    for (const [type, byName] of Object.entries(types)) {
      if (!isObject(byName)) continue;
      for (const [name, body] of Object.entries(byName)) {
        if (isObject(body)) visit(`${prefix}${type}.${name}`, body);
      }
    }
  }
}

function rewriteList(holder: Json, key: string, where: string): void {
  const list = holder[key];
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new TerraformJsonError(`${where}.${key}: expected a list, got ${JSON.stringify(list)}`);
  holder[key] = list.map((entry, i) => staticReference(entry, `${where}.${key}[${i}]`));
}

/**
 * Rewrites, in place, every place of a stack's Terraform JSON that Terraform
 * reads as static references: `output.*.depends_on`, `depends_on` of
 * resources, data sources and modules, and `lifecycle.replace_triggered_by`.
 * Returns the same object.
 */
export function normalizeStaticReferences<T extends Json>(tf: T): T {
  const outputs = tf.output;
  if (isObject(outputs)) {
    for (const [name, output] of Object.entries(outputs)) {
      if (isObject(output)) rewriteList(output, "depends_on", `output.${name}`);
    }
  }
  forEachBlock(tf, (where, body) => {
    rewriteList(body, "depends_on", where);
    if (isObject(body.lifecycle)) rewriteList(body.lifecycle, "replace_triggered_by", `${where}.lifecycle`);
  });
  const modules = tf.module;
  if (isObject(modules)) {
    for (const [name, body] of Object.entries(modules)) {
      if (isObject(body)) rewriteList(body, "depends_on", `module.${name}`);
    }
  }
  return tf;
}

/**
 * Text that Terraform must take literally (a script or a document embedded in
 * a resource argument). Terraform reads every string of its JSON syntax as a
 * template, so a shell script's "${VAR}" would become an interpolation; and
 * how CDKTF escapes "${" depends on what else the string holds (quotes change
 * it), so escaping is not dependable. Instead the text travels base64-encoded
 * (an alphabet with no "$", "%" or "{") and Terraform decodes it at plan time:
 * the resource receives the text byte for byte. The tests evaluate the result
 * with Terraform itself.
 */
export function terraformLiteral(text: string): string {
  return Fn.base64decode(Buffer.from(text, "utf8").toString("base64"));
}
