/**
 * Resolves every address a synthesized stack mentions against what the stack
 * declares. Terraform's configuration loader (`terraform init`) checks syntax
 * but not addresses: a `depends_on`, a `replace_triggered_by` or an
 * interpolation naming a resource that does not exist passes it and fails
 * only at plan time, on a machine with the providers installed. This walk
 * finds those offline.
 *
 * What it reads:
 * - every string value for `${ … }` interpolations (`$${` is a literal), and in
 *   each expression every reference chain `root.name…` outside string
 *   literals: `type.name` (resource), `data.type.name`, `var.x`, `local.x`,
 *   `module.x`; `self`, `count`, `each`, `path`, `terraform` and names bound
 *   by a `for` expression are always defined;
 * - `%{ … }` template directives, which the stacks never write: one is text
 *   that Terraform would read as a directive (it must be escaped as `%%{`);
 * - the bare addresses in `depends_on` and `lifecycle.replace_triggered_by`;
 * - `provider` meta-arguments (`kubernetes.cluster` must be a declared alias).
 */
import { forEachBlock, isObject, type Json } from "./terraform-json";

const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_-]/;
const ALWAYS_DEFINED = new Set(["self", "count", "each", "path", "terraform"]);
const KEYWORDS = new Set(["true", "false", "null", "for", "in", "if"]);

/** The declared addresses of a stack: `type.name`, `data.type.name`, `var.x`, `local.x`, `module.x`, and provider configurations. */
export interface Declarations {
  readonly addresses: ReadonlySet<string>;
  readonly providers: ReadonlySet<string>;
}

export function declarationsOf(tf: Json): Declarations {
  const addresses = new Set<string>();
  const providers = new Set<string>();
  forEachBlock(tf, (address) => addresses.add(address));
  for (const [block, prefix] of [
    ["variable", "var."],
    ["locals", "local."],
    ["module", "module."],
  ] as const) {
    const entries = tf[block];
    if (isObject(entries)) for (const name of Object.keys(entries)) addresses.add(`${prefix}${name}`);
  }
  const providerBlock = tf.provider;
  if (isObject(providerBlock)) {
    for (const [name, configs] of Object.entries(providerBlock)) {
      for (const c of Array.isArray(configs) ? configs : [configs]) {
        const alias = isObject(c) && typeof c.alias === "string" ? c.alias : undefined;
        providers.add(alias ? `${name}.${alias}` : name);
      }
    }
  }
  return { addresses, providers };
}

/** The `%{ … }` template directives of a string (`%%{` is a literal); the stacks write none, so each is an unescaped literal. */
export function templateDirectives(template: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < template.length; i += 1) {
    if (template.startsWith("%%{", i)) i += 2;
    else if (template.startsWith("%{", i)) found.push(template.slice(i, i + 20));
  }
  return found;
}

/** The `${ … }` expressions of a template string (nested templates inside quoted strings included). */
export function interpolations(template: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < template.length) {
    if (template.startsWith("$${", i)) {
      i += 3;
    } else if (template.startsWith("${", i)) {
      const end = expressionEnd(template, i + 2);
      found.push(template.slice(i + 2, end));
      i = end + 1;
    } else {
      i += 1;
    }
  }
  return found;
}

/** Index of the `}` closing an expression that starts at `start`, skipping quoted strings and nested braces. */
function expressionEnd(text: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i + 1) + 1;
      continue;
    }
    if (c === "{") depth += 1;
    if (c === "}") {
      if (depth === 0) return i;
      depth -= 1;
    }
    i += 1;
  }
  throw new Error(`unterminated interpolation in ${JSON.stringify(text)}`);
}

/** Index of the `"` closing a quoted string whose content starts at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === '"') return i;
    if (text.startsWith("${", i)) {
      i = expressionEnd(text, i + 2) + 1;
      continue;
    }
    i += 1;
  }
  throw new Error(`unterminated string in ${JSON.stringify(text)}`);
}

/**
 * The reference chains of one expression, each as its first segments joined
 * by dots (`aws_instance.web.id` → ["aws_instance", "web", "id"]), with the
 * names a `for` expression binds, and the references inside nested templates.
 */
export function referencesIn(expression: string): { chains: string[][]; bound: Set<string> } {
  const chains: string[][] = [];
  const bound = new Set<string>();
  let i = 0;
  let previous = "";
  while (i < expression.length) {
    const c = expression[i] as string;
    if (c === '"') {
      const end = stringEnd(expression, i + 1);
      for (const inner of interpolations(expression.slice(i + 1, end))) {
        const nested = referencesIn(inner);
        chains.push(...nested.chains);
        nested.bound.forEach((b) => bound.add(b));
      }
      i = end + 1;
      previous = '"';
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < expression.length && /[0-9.eE]/.test(expression[i] as string)) i += 1;
      previous = "0";
      continue;
    }
    if (IDENT_START.test(c)) {
      const chain: string[] = [];
      let j = i;
      for (;;) {
        let k = j;
        while (k < expression.length && IDENT_CHAR.test(expression[k] as string)) k += 1;
        chain.push(expression.slice(j, k));
        if (expression[k] === "." && IDENT_START.test(expression[k + 1] ?? "")) {
          j = k + 1;
          continue;
        }
        j = k;
        break;
      }
      const head = chain[0] as string;
      const rest = expression.slice(j).trimStart();
      if (previous === "for") {
        bound.add(head);
        const second = /^,\s*([A-Za-z_][A-Za-z0-9_-]*)/.exec(rest);
        if (second?.[1]) bound.add(second[1]);
      } else if (previous !== "." && !rest.startsWith("(") && !KEYWORDS.has(head)) {
        chains.push(chain);
      }
      previous = head;
      i = j;
      continue;
    }
    if (!/\s/.test(c)) previous = c;
    i += 1;
  }
  return { chains, bound };
}

/** The address a chain refers to, or undefined when its root needs no declaration. */
function addressOf(chain: string[], bound: Set<string>): string | undefined {
  const [head, second, third] = chain;
  if (head === undefined || ALWAYS_DEFINED.has(head) || bound.has(head)) return undefined;
  if (head === "data") return third === undefined ? `data.${second ?? ""}` : `data.${second}.${third}`;
  return second === undefined ? head : `${head}.${second}`;
}

/**
 * Every address the stack mentions but does not declare, as
 * "<where>: <address>" lines (empty when all resolve).
 */
export function unresolvedReferences(tf: Json): string[] {
  const { addresses, providers } = declarationsOf(tf);
  const problems: string[] = [];
  const check = (address: string | undefined, where: string) => {
    if (address !== undefined && !addresses.has(address)) problems.push(`${where}: ${address} is not declared in this stack`);
  };

  const walk = (value: unknown, where: string): void => {
    if (typeof value === "string") {
      for (const directive of templateDirectives(value)) {
        problems.push(`${where}: Terraform reads ${JSON.stringify(directive)} as a template directive (escape a literal as %%{)`);
      }
      for (const expression of interpolations(value)) {
        const { chains, bound } = referencesIn(expression);
        for (const chain of chains) check(addressOf(chain, bound), where);
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${where}[${i}]`));
    } else if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, where ? `${where}.${k}` : k);
    }
  };
  const bareAddresses = (list: unknown, where: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((entry, i) => {
      if (typeof entry !== "string" || entry.includes("${")) return; // an interpolation is walked as a string
      check(addressOf(entry.split("."), new Set()), `${where}[${i}]`);
    });
  };

  for (const [key, value] of Object.entries(tf)) {
    if (key === "//") continue;
    walk(value, key);
  }
  forEachBlock(tf, (where, body) => {
    bareAddresses(body.depends_on, `${where}.depends_on`);
    if (isObject(body.lifecycle)) bareAddresses(body.lifecycle.replace_triggered_by, `${where}.lifecycle.replace_triggered_by`);
    if (typeof body.provider === "string" && !providers.has(body.provider)) {
      problems.push(`${where}.provider: provider configuration ${body.provider} is not declared in this stack`);
    }
  });
  const outputs = tf.output;
  if (isObject(outputs)) {
    for (const [name, output] of Object.entries(outputs)) {
      if (isObject(output)) bareAddresses(output.depends_on, `output.${name}.depends_on`);
    }
  }
  return problems;
}
