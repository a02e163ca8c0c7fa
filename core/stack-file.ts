/**
 * Reads a stack's configuration the way the Pulumi engine hands it to a program
 * (`pulumi.runtime.allConfig()`: a flat `project:key -> text` map, structured values as JSON text,
 * scalars as plain text) without the engine: the committed `Pulumi.<stack>.yaml` merged with the
 * project-level config in `Pulumi.yaml`. The CLI (`delivery config`, `render-workflows`, ...) and
 * the tests see exactly the configuration a stack runs with.
 *
 * The merge follows Pulumi's (sdk/go/common/workspace: `RewriteShorthandConfigValues`,
 * `Project.Validate`, `mergeConfig`):
 * - a project-namespaced key (`environments` or `delivery-platform:environments`) is declared with
 *   `default:` or `value:`, or written as a plain scalar or list (taken as its default); a key of
 *   another namespace (`pulumi:tags`, `aws:region`) needs `value:`;
 * - a key the stack file sets replaces the project's value whole: top-level keys are not merged
 *   deeply, so a stack that differs in one field of `azure` restates `azure`;
 * - a project-namespaced key declared with neither default nor value must be set by every stack.
 * Declared `type`s are not checked here; the stack configuration's schema (core/config.ts) checks
 * every value.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface StackFileConfig {
  /** `project:key` -> value text, as `pulumi.runtime.allConfig()` returns it. */
  readonly config: Record<string, string>;
  /** Keys whose values are `secure:` ciphertext; their text here is the ciphertext, never a secret. */
  readonly secretKeys: string[];
  /** Keys whose value came from Pulumi.yaml (the stack file does not set them). */
  readonly projectKeys: string[];
  /** Keys the stack file itself sets. */
  readonly stackKeys: string[];
}

/** The project-level config of Pulumi.yaml: full key -> the value every stack gets unless it sets the key. */
export interface ProjectConfig {
  readonly project: string;
  /** Keys with a `default` or `value`, as config text. */
  readonly values: Readonly<Record<string, string>>;
  /** Project-namespaced keys declared without a value: every stack must set them. */
  readonly required: readonly string[];
}

const DECLARATION_ATTRIBUTES = ["type", "description", "items", "default", "value", "secret"];

export function stackFilePath(root: string, stack: string): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

export function projectFilePath(root: string): string {
  return path.join(root, "Pulumi.yaml");
}

/** Reads Pulumi.yaml's `config:` block; a root without Pulumi.yaml has no project config. */
export function readProjectConfig(root: string, defaultProject = "delivery-platform"): ProjectConfig {
  const file = projectFilePath(root);
  if (!fs.existsSync(file)) return { project: defaultProject, values: {}, required: [] };
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { name?: unknown; config?: unknown };
  const project = typeof doc.name === "string" && doc.name !== "" ? doc.name : defaultProject;
  const values: Record<string, string> = {};
  const required: string[] = [];
  // `config: <dir>` is the deprecated spelling of stackConfigDir, not config.
  if (doc.config === undefined || doc.config === null || typeof doc.config === "string") return { project, values, required };
  if (typeof doc.config !== "object" || Array.isArray(doc.config)) throw new Error(`${file}: config must be a map of configuration keys (received ${JSON.stringify(doc.config)}).`);
  for (const [key, declared] of Object.entries(doc.config as Record<string, unknown>)) {
    const ownNamespace = !key.includes(":") || key.startsWith(`${project}:`);
    const fullKey = key.includes(":") ? key : `${project}:${key}`;
    const shorthand = declared === null || typeof declared !== "object" || Array.isArray(declared);
    const declaration = (shorthand ? (ownNamespace ? { default: declared } : { value: declared }) : declared) as Record<string, unknown>;
    const unknown = Object.keys(declaration).filter((a) => !DECLARATION_ATTRIBUTES.includes(a));
    if (unknown.length > 0) {
      throw new Error(
        `${file}: config key '${key}' has ${unknown.map((a) => `'${a}'`).join(", ")}, which a config declaration does not allow (${DECLARATION_ATTRIBUTES.join(", ")}). Put a structured value under \`default:\`.`,
      );
    }
    const hasDefault = declaration.default !== undefined && declaration.default !== null;
    const hasValue = declaration.value !== undefined && declaration.value !== null;
    if (hasDefault && hasValue) throw new Error(`${file}: project config '${key}' cannot have both a 'default' and 'value' attribute.`);
    if (!ownNamespace && !hasValue) throw new Error(`${file}: configuration key '${key}' is not namespaced by the project and must provide an attribute 'value'.`);
    if (!hasDefault && !hasValue) {
      required.push(fullKey);
      continue;
    }
    values[fullKey] = configText(hasValue ? declaration.value : declaration.default);
  }
  return { project, values, required };
}

/** The stack file's own `config:` block, as config text (no project config). */
export function readStackFileOnly(root: string, stack: string, project = "delivery-platform"): { config: Record<string, string>; secretKeys: string[] } {
  const file = stackFilePath(root, stack);
  if (!fs.existsSync(file)) {
    const known = fs
      .readdirSync(root)
      .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
      .map((f) => f.slice("Pulumi.".length, -".yaml".length))
      .sort();
    throw new Error(`No stack file ${file} for stack "${stack}". Known stacks: ${known.join(", ") || "none"}. Create one with \`pulumi stack init ${stack}\`.`);
  }
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const fullKey = key.includes(":") ? key : `${project}:${key}`;
    if (isSecure(value)) {
      secretKeys.push(fullKey);
      config[fullKey] = value.secure;
    } else {
      config[fullKey] = configText(value);
    }
  }
  return { config, secretKeys };
}

/** The configuration stack `stack` runs with: its stack file over Pulumi.yaml's project config. */
export function readStackFile(root: string, stack: string, defaultProject = "delivery-platform"): StackFileConfig {
  const project = readProjectConfig(root, defaultProject);
  const own = readStackFileOnly(root, stack, project.project);
  const missing = project.required.filter((k) => !(k in own.config));
  if (missing.length > 0) {
    throw new Error(`Stack '${stack}' is missing configuration value${missing.length === 1 ? "" : "s"} ${missing.map((k) => `'${k}'`).join(", ")}, which Pulumi.yaml declares without a default; set ${missing.length === 1 ? "it" : "them"} in ${path.basename(stackFilePath(root, stack))}.`);
  }
  const projectKeys = Object.keys(project.values).filter((k) => !(k in own.config));
  const config: Record<string, string> = { ...Object.fromEntries(projectKeys.map((k) => [k, project.values[k]])), ...own.config };
  return { config, secretKeys: own.secretKeys, projectKeys, stackKeys: Object.keys(own.config) };
}

/** Pulumi's config text: strings as they are, other scalars printed, structures as JSON. */
function configText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function isSecure(value: unknown): value is { secure: string } {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}
