/**
 * What the sandbox's fake `az` knows about a Bicep template: the resources a deployment of it
 * declares, with their ids and properties, evaluated from the template, its local modules and the
 * `.bicepparam` values. It is a small interpreter of the Bicep subset these templates use
 * (parameters with defaults, variables, modules, `for` loops, `if` conditions, `parent`/`scope`,
 * string interpolation, member access and the functions in FUNCTIONS); whatever it cannot
 * evaluate stays as its source text, which is stable across runs. So a changed parameter shows as
 * a Modify of exactly the properties it reaches, a longer queue list as a Create, and an unchanged
 * template as NoChange, in the shape of Azure's WhatIfOperationResult.
 *
 * Not a Bicep compiler: types, decorators and validation are ignored (the real `az bicep build`
 * does those); the provider's own checks (files, `using`, required parameters) still run.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

// ---------------------------------------------------------------- expressions

type Token = { kind: "str"; parts: (string | Token[])[] } | { kind: "num"; value: number } | { kind: "id"; value: string } | { kind: "op"; value: string } | { kind: "nl" };

class Unresolved extends Error {}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === "\n") {
      out.push({ kind: "nl" });
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "'") {
      const parts: (string | Token[])[] = [];
      let text = "";
      i++;
      if (src.startsWith("''", i)) {
        // multi-line string '''...'''
        const end = src.indexOf("'''", i + 2);
        parts.push(src.slice(i + 2, end < 0 ? src.length : end));
        i = end < 0 ? src.length : end + 3;
        out.push({ kind: "str", parts });
        continue;
      }
      while (i < src.length && src[i] !== "'") {
        if (src[i] === "\\" && i + 1 < src.length) {
          const e = src[i + 1];
          text += e === "n" ? "\n" : e === "t" ? "\t" : e;
          i += 2;
        } else if (src[i] === "$" && src[i + 1] === "{") {
          let depth = 1;
          let j = i + 2;
          while (j < src.length && depth > 0) {
            if (src[j] === "{") depth++;
            else if (src[j] === "}") depth--;
            j++;
          }
          if (text) parts.push(text);
          text = "";
          parts.push(tokenize(src.slice(i + 2, j - 1)));
          i = j;
        } else text += src[i++];
      }
      i++;
      if (text || parts.length === 0) parts.push(text);
      out.push({ kind: "str", parts });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))!;
      out.push({ kind: "num", value: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: "id", value: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (["==", "!=", "<=", ">=", "&&", "||", "??", "=~", "!~"].includes(two)) {
        out.push({ kind: "op", value: two });
        i += 2;
      } else {
        out.push({ kind: "op", value: c });
        i++;
      }
    }
  }
  return out;
}

export type Env = ReadonlyMap<string, unknown>;

/** The functions the templates use; anything else leaves the expression unresolved. */
const FUNCTIONS: Record<string, (args: unknown[], ctx: EvalContext) => unknown> = {
  uniqueString: (args) => uniqueString(args.map(String).join("-")),
  guid: (args) => guidOf(args.map(String).join("-")),
  toLower: ([s]) => String(s).toLowerCase(),
  toUpper: ([s]) => String(s).toUpperCase(),
  take: ([s, n]) => (Array.isArray(s) ? s.slice(0, Number(n)) : String(s).slice(0, Number(n))),
  replace: ([s, a, b]) => String(s).split(String(a)).join(String(b)),
  concat: (args) => (args.every(Array.isArray) ? (args as unknown[][]).flat() : args.map(String).join("")),
  union: (args) => Object.assign({}, ...(args as object[])),
  length: ([s]) => (Array.isArray(s) || typeof s === "string" ? s.length : Object.keys(s as object).length),
  empty: ([s]) => (Array.isArray(s) || typeof s === "string" ? s.length === 0 : Object.keys((s as object) ?? {}).length === 0),
  contains: ([s, v]) => (Array.isArray(s) ? s.includes(v) : typeof s === "string" ? s.includes(String(v)) : Object.prototype.hasOwnProperty.call(s, String(v))),
  string: ([v]) => (typeof v === "string" ? v : JSON.stringify(v)),
  int: ([v]) => Number.parseInt(String(v), 10),
  resourceGroup: (_args, ctx) => ({ id: ctx.resourceGroupId, name: ctx.resourceGroupId.split("/").pop(), location: ctx.location }),
  subscription: (_args, ctx) => ({ id: ctx.resourceGroupId.split("/resourceGroups/")[0], subscriptionId: ctx.resourceGroupId.split("/")[2] }),
  tenant: () => ({ tenantId: "5b0c8f3e-2d7a-4e19-9c61-4f8a2b7d3e05" }),
};

export function uniqueString(seed: string): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.createHash("sha256").update(seed).digest();
  return Array.from(bytes.subarray(0, 13), (b) => alphabet[b % alphabet.length]).join("");
}

export function guidOf(seed: string): string {
  const h = crypto.createHash("sha1").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface EvalContext {
  readonly resourceGroupId: string;
  readonly location: string;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly env: Env,
    private readonly ctx: EvalContext,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private skipNl(): void {
    while (this.peek()?.kind === "nl") this.i++;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t?.kind === "op" && t.value === v;
  }
  private expect(v: string): void {
    this.skipNl();
    if (!this.isOp(v)) throw new Unresolved(`expected ${v}`);
    this.i++;
  }

  parseAll(): unknown {
    this.skipNl();
    const v = this.expr();
    this.skipNl();
    if (this.i < this.tokens.length) throw new Unresolved("trailing tokens");
    return v;
  }

  expr(): unknown {
    const cond = this.binary(0);
    this.skipNl();
    if (this.isOp("?")) {
      this.i++;
      const a = this.expr();
      this.expect(":");
      const b = this.expr();
      return cond ? a : b;
    }
    return cond;
  }

  private static PREC: Record<string, number> = { "??": 1, "||": 2, "&&": 3, "==": 4, "!=": 4, "=~": 4, "!~": 4, "<": 5, ">": 5, "<=": 5, ">=": 5, "+": 6, "-": 6, "*": 7, "/": 7, "%": 7 };

  private binary(min: number): unknown {
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t?.kind === "op" ? Parser.PREC[t.value] : undefined;
      if (prec === undefined || prec <= min) return left;
      this.i++;
      const right = this.binary(prec);
      left = this.apply((t as { value: string }).value, left, right);
    }
  }

  private apply(op: string, a: unknown, b: unknown): unknown {
    switch (op) {
      case "??": return a ?? b;
      case "||": return Boolean(a) || Boolean(b);
      case "&&": return Boolean(a) && Boolean(b);
      case "==": return JSON.stringify(a) === JSON.stringify(b);
      case "!=": return JSON.stringify(a) !== JSON.stringify(b);
      case "=~": return String(a).toLowerCase() === String(b).toLowerCase();
      case "!~": return String(a).toLowerCase() !== String(b).toLowerCase();
      case "<": return (a as number) < (b as number);
      case ">": return (a as number) > (b as number);
      case "<=": return (a as number) <= (b as number);
      case ">=": return (a as number) >= (b as number);
      case "+": return (a as number) + (b as number);
      case "-": return (a as number) - (b as number);
      case "*": return (a as number) * (b as number);
      case "/": return Math.trunc((a as number) / (b as number));
      case "%": return (a as number) % (b as number);
    }
    throw new Unresolved(op);
  }

  private unary(): unknown {
    this.skipNl();
    if (this.isOp("!")) {
      this.i++;
      return !this.unary();
    }
    if (this.isOp("-")) {
      this.i++;
      return -(this.unary() as number);
    }
    return this.postfix(this.primary());
  }

  private postfix(value: unknown): unknown {
    for (;;) {
      if (this.isOp(".") || this.isOp("?")) {
        const safe = this.isOp("?");
        if (safe) {
          const next = this.tokens[this.i + 1];
          if (!(next?.kind === "op" && next.value === ".")) return value;
          this.i++;
        }
        this.i++;
        const t = this.peek();
        if (t?.kind !== "id") throw new Unresolved("member");
        this.i++;
        if (value === null || typeof value !== "object" || !(t.value in (value as object))) {
          if (safe) return null;
          throw new Unresolved(`member ${t.value}`);
        }
        value = (value as Record<string, unknown>)[t.value];
      } else if (this.isOp("[")) {
        this.i++;
        const key = this.expr();
        this.expect("]");
        if (value === null || typeof value !== "object" || !(String(key) in (value as object))) throw new Unresolved("index");
        value = (value as Record<string, unknown>)[String(key)];
      } else return value;
    }
  }

  private primary(): unknown {
    this.skipNl();
    const t = this.peek();
    if (!t) throw new Unresolved("end");
    this.i++;
    if (t.kind === "num") return t.value;
    if (t.kind === "str") return t.parts.map((p) => (typeof p === "string" ? p : stringify(new Parser(p, this.env, this.ctx).parseAll()))).join("");
    if (t.kind === "id") {
      if (t.value === "true") return true;
      if (t.value === "false") return false;
      if (t.value === "null") return null;
      if (this.isOp("(")) {
        this.i++;
        const args: unknown[] = [];
        this.skipNl();
        while (!this.isOp(")")) {
          args.push(this.expr());
          this.skipNl();
          if (this.isOp(",")) this.i++;
          this.skipNl();
        }
        this.i++;
        const fn = FUNCTIONS[t.value];
        if (!fn) throw new Unresolved(`function ${t.value}`);
        return fn(args, this.ctx);
      }
      if (!this.env.has(t.value)) throw new Unresolved(`identifier ${t.value}`);
      const v = this.env.get(t.value);
      if (v instanceof Lazy) return v.get();
      return v;
    }
    if (t.kind === "nl") throw new Unresolved("newline");
    if (t.value === "(") {
      const v = this.expr();
      this.expect(")");
      return v;
    }
    if (t.value === "[") {
      const items: unknown[] = [];
      for (;;) {
        this.skipNl();
        if (this.isOp("]")) break;
        items.push(this.expr());
        this.skipNl();
        if (this.isOp(",")) this.i++;
      }
      this.i++;
      return items;
    }
    if (t.value === "{") {
      const obj: Record<string, unknown> = {};
      for (;;) {
        this.skipNl();
        if (this.isOp("}")) break;
        const k = this.peek();
        this.i++;
        const key = k?.kind === "id" ? k.value : k?.kind === "str" ? (k.parts as string[]).join("") : undefined;
        if (key === undefined) throw new Unresolved("object key");
        this.expect(":");
        obj[key] = this.expr();
        this.skipNl();
        if (this.isOp(",")) this.i++;
      }
      this.i++;
      return obj;
    }
    throw new Unresolved(`token ${t.value}`);
  }
}

function stringify(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** A value computed on first use (variables may refer to each other in any order). */
class Lazy {
  private done = false;
  private value: unknown;
  constructor(private readonly compute: () => unknown) {}
  get(): unknown {
    if (!this.done) {
      this.value = this.compute();
      this.done = true;
    }
    return this.value;
  }
}

/** The value of an expression, or its source text (trimmed, whitespace collapsed) when it cannot be evaluated here. */
export function evaluate(src: string, env: Env, ctx: EvalContext): unknown {
  try {
    return new Parser(tokenize(src), env, ctx).parseAll();
  } catch (err) {
    if (err instanceof Unresolved) return `[${src.trim().replace(/\s+/g, " ")}]`;
    throw err;
  }
}

// ---------------------------------------------------------------- files

interface Declaration {
  readonly kind: "resource" | "module";
  readonly symbol: string;
  /** `Type@apiVersion` of a resource, the path of a module. */
  readonly target: string;
  readonly existing: boolean;
  /** The text after `=`. */
  readonly value: string;
}

interface BicepFile {
  readonly params: Map<string, string | undefined>;
  readonly vars: Map<string, string>;
  readonly declarations: Declaration[];
  readonly outputs: Map<string, string>;
}

function stripComment(line: string): string {
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    if (inStr && line[i] === "\\") i++;
    else if (line[i] === "'") inStr = !inStr;
    else if (!inStr && line[i] === "/" && line[i + 1] === "/") return line.slice(0, i);
  }
  return line;
}

function balance(text: string): number {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr && c === "\\") i++;
    else if (c === "'") inStr = !inStr;
    else if (!inStr && "{[(".includes(c)) depth++;
    else if (!inStr && "}])".includes(c)) depth--;
  }
  return depth;
}

/** Top-level statements, each with its continuation lines (until brackets balance). */
function statements(text: string): string[] {
  const lines = text.split(/\r?\n/).map(stripComment);
  const out: string[] = [];
  let current: string[] = [];
  let depth = 0;
  for (const line of lines) {
    if (current.length === 0 && line.trim() === "") continue;
    if (current.length === 0 && line.trim().startsWith("@") && balance(line) === 0) continue; // decorator
    current.push(line);
    depth += balance(line);
    if (depth <= 0) {
      out.push(current.join("\n"));
      current = [];
      depth = 0;
    }
  }
  if (current.length > 0) out.push(current.join("\n"));
  return out;
}

export function parseBicep(text: string): BicepFile {
  const file: BicepFile = { params: new Map(), vars: new Map(), declarations: [], outputs: new Map() };
  for (const s of statements(text)) {
    let m: RegExpExecArray | null;
    if ((m = /^\s*param\s+(\w+)\s+[^=]*?(?:=\s*([\s\S]*))?$/.exec(s))) file.params.set(m[1], m[2]?.trim());
    else if ((m = /^\s*var\s+(\w+)\s*=\s*([\s\S]*)$/.exec(s))) file.vars.set(m[1], m[2]);
    else if ((m = /^\s*(resource|module)\s+(\w+)\s+'([^']+)'\s*(existing)?\s*=\s*([\s\S]*)$/.exec(s))) {
      file.declarations.push({ kind: m[1] as "resource" | "module", symbol: m[2], target: m[3], existing: m[4] === "existing", value: m[5] });
    } else if ((m = /^\s*output\s+(\w+)\s+\S+\s*=\s*([\s\S]*)$/.exec(s))) file.outputs.set(m[1], m[2]);
  }
  return file;
}

/** `param name = value` entries of a .bicepparam file, evaluated (they are literals, or expressions of each other). */
export function parseBicepParams(text: string, ctx: EvalContext): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const env = new Map<string, unknown>();
  for (const s of statements(text)) {
    const m = /^\s*param\s+(\w+)\s*=\s*([\s\S]*)$/.exec(s);
    if (!m) continue;
    values[m[1]] = evaluate(m[2], env, ctx);
    env.set(m[1], values[m[1]]);
  }
  return values;
}

// ---------------------------------------------------------------- deployments

/** One resource a deployment declares, in the shape of a what-if `after` payload. */
export interface ModelResource {
  readonly id: string;
  readonly type: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly body: Record<string, unknown>;
}

export interface DeploymentModel {
  readonly resources: ModelResource[];
  readonly outputs: Record<string, { type: string; value: unknown }>;
}

const NOT_PROPERTIES = new Set(["name", "parent", "scope", "dependsOn"]);

interface Instance {
  env: Map<string, unknown>;
  body: string;
}

/** Expands `[for x in list: {...}]`, `[for (x, i) in list: {...}]` and `if (cond) {...}` into instances. */
function instances(value: string, env: Map<string, unknown>, ctx: EvalContext): Instance[] | undefined {
  const loop = /^\s*\[\s*for\s+(?:\(\s*(\w+)\s*,\s*(\w+)\s*\)|(\w+))\s+in\s+([\s\S]+?)\s*:\s*(\{[\s\S]*\})\s*\]\s*$/.exec(value);
  if (loop) {
    const item = loop[1] ?? loop[3];
    const index = loop[2];
    const list = evaluate(loop[4], env, ctx);
    if (!Array.isArray(list)) return undefined;
    return list.map((v, i) => {
      const e = new Map(env);
      e.set(item, v);
      if (index) e.set(index, i);
      return { env: e, body: loop[5] };
    });
  }
  const cond = /^\s*if\s*\(([\s\S]+?)\)\s*(\{[\s\S]*\})\s*$/.exec(value);
  if (cond) return evaluate(cond[1], env, ctx) === false ? [] : [{ env, body: cond[2] }];
  return [{ env, body: value }];
}

/** The top-level `key: value` entries of an object body `{ ... }`, values as source text. */
function entries(body: string): [string, string][] {
  const inner = body.trim().replace(/^\{/, "").replace(/\}$/, "");
  const out: [string, string][] = [];
  let key: string | undefined;
  let current = "";
  let depth = 0;
  const flush = () => {
    if (key !== undefined) out.push([key, current.trim()]);
    key = undefined;
    current = "";
  };
  for (const line of inner.split("\n")) {
    if (depth === 0) {
      const m = /^\s*('?[\w-]+'?)\s*:\s*(.*)$/.exec(line);
      if (m) {
        flush();
        key = m[1].replace(/'/g, "");
        current = m[2];
        depth = balance(m[2]);
        continue;
      }
    }
    current += `\n${line}`;
    depth += balance(line);
  }
  flush();
  return out;
}

export interface ModelInput {
  /** Directory relative paths are resolved in (the repository root, as az's cwd). */
  readonly cwd: string;
  readonly template: string;
  readonly parameters: Record<string, unknown>;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
}

/** Every resource a deployment of the template with these parameters declares, and its outputs. */
export function deploymentModel(input: ModelInput): DeploymentModel {
  const ctx: EvalContext = { resourceGroupId: `/subscriptions/${input.subscriptionId}/resourceGroups/${input.resourceGroup}`, location: input.location };
  const resources: ModelResource[] = [];
  const outputs = evaluateFile(path.resolve(input.cwd, input.template), input.parameters, ctx, resources, 0);
  return { resources, outputs };
}

function evaluateFile(file: string, args: Record<string, unknown>, ctx: EvalContext, resources: ModelResource[], depth: number): Record<string, { type: string; value: unknown }> {
  if (depth > 10) throw new Error(`modules nest deeper than 10 levels at ${file}`);
  const parsed = parseBicep(fs.readFileSync(file, "utf8"));
  const env = new Map<string, unknown>();
  for (const [name, def] of parsed.params) {
    if (name in args) env.set(name, args[name]);
    else if (def !== undefined) env.set(name, new Lazy(() => evaluate(def, env, ctx)));
  }
  for (const [name, expr] of parsed.vars) env.set(name, new Lazy(() => evaluate(expr, env, ctx)));

  for (const d of parsed.declarations) {
    const list = instances(d.value, env, ctx) ?? [{ env, body: d.value.replace(/^\s*\[[\s\S]*?:\s*/, "").replace(/\]\s*$/, "") }];
    const results: unknown[] = [];
    for (const inst of list) {
      const props = entries(inst.body);
      const get = (k: string) => props.find(([key]) => key === k)?.[1];
      if (d.kind === "module") {
        const params = evaluate(get("params") ?? "{}", inst.env, ctx);
        const outputs = evaluateFile(path.resolve(path.dirname(file), d.target), typeof params === "object" && params !== null ? (params as Record<string, unknown>) : {}, ctx, resources, depth + 1);
        results.push({ outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value])) });
        continue;
      }
      const [type, apiVersion = ""] = d.target.split("@");
      const nameValue = evaluate(get("name") ?? `'${d.symbol}'`, inst.env, ctx);
      const name = typeof nameValue === "string" && !nameValue.startsWith("[") ? nameValue : `${d.symbol}-${uniqueString(`${ctx.resourceGroupId}/${stringify(nameValue)}`)}`;
      const id = resourceId(type, name, get("parent"), get("scope"), inst.env, ctx);
      const symbolValue = { id, name, type, apiVersion, location: ctx.location, properties: {} };
      results.push(symbolValue);
      if (d.existing) continue;
      const body: Record<string, unknown> = {};
      for (const [k, v] of props) if (!NOT_PROPERTIES.has(k)) body[k] = evaluate(v, inst.env, ctx);
      resources.push({ id, type, apiVersion, name, body });
    }
    // A loop's symbol is the list of its instances; a plain declaration is the one instance.
    env.set(d.symbol, /^\s*\[\s*for\b/.test(d.value) ? results : results[0]);
  }
  const outputs: Record<string, { type: string; value: unknown }> = {};
  for (const [name, expr] of parsed.outputs) {
    const v = evaluate(expr, env, ctx);
    outputs[name] = { type: typeof v === "number" ? "Int" : typeof v === "boolean" ? "Bool" : Array.isArray(v) ? "Array" : typeof v === "object" && v !== null ? "Object" : "String", value: v };
  }
  return outputs;
}

function resourceId(type: string, name: string, parent: string | undefined, scope: string | undefined, env: Env, ctx: EvalContext): string {
  const segments = type.split("/");
  const owner = parent ?? scope;
  if (owner) {
    const target = evaluate(owner, env, ctx) as { id?: string } | string;
    const ownerId = typeof target === "object" && target && typeof target.id === "string" ? target.id : undefined;
    if (ownerId && parent) return `${ownerId}/${segments[segments.length - 1]}/${name}`;
    if (ownerId && scope) return `${ownerId}/providers/${type}/${name}`;
  }
  const names = name.split("/");
  const path = [segments[0], ...segments.slice(1).flatMap((s, i) => [s, names[i] ?? name])];
  return `${ctx.resourceGroupId}/providers/${path.join("/")}`;
}
