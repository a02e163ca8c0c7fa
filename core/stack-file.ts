/**
 * Reads a committed `Pulumi.<stack>.yaml` into the flat `project:key -> text` map that the
 * Pulumi engine hands a program (`pulumi.runtime.allConfig()`): structured values as JSON text,
 * scalars as plain text. Lets the CLI and the tests see exactly the configuration a stack runs
 * with, without the engine.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export interface StackFileConfig {
  /** `project:key` -> value text, as `pulumi.runtime.allConfig()` returns it. */
  readonly config: Record<string, string>;
  /** Keys whose values are `secure:` ciphertext; their text here is the ciphertext, never a secret. */
  readonly secretKeys: string[];
}

export function stackFilePath(root: string, stack: string): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

export function readStackFile(root: string, stack: string, project = "delivery-platform"): StackFileConfig {
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
      config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { config, secretKeys };
}

function isSecure(value: unknown): value is { secure: string } {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}
