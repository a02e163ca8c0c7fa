/**
 * Bicep compiler diagnostics, as `az bicep build` / `az bicep lint` print them on stderr:
 *
 *   /repo/bicep/main.bicep(12,5) : Error BCP057: The name "foo" does not exist in the current context. [https://aka.ms/bicep/core-diagnostics#BCP057]
 *   /repo/bicep/modules/storage.bicep(3,7) : Warning no-unused-params: Parameter "x" is declared but never used. [https://aka.ms/bicep/linter/no-unused-params]
 *
 * Errors fail the preview with file:line and the code; warnings are shown and do not.
 */
import * as path from "node:path";

export type DiagnosticLevel = "Error" | "Warning" | "Info";

export interface BicepDiagnostic {
  /** Path relative to the repository root when it lies inside it, else as printed. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly level: DiagnosticLevel;
  /** `BCP057`, or a linter rule such as `no-unused-params`. */
  readonly code: string;
  readonly message: string;
}

const DIAGNOSTIC = /^(.+?\.bicep(?:param)?)\((\d+),(\d+)\)\s*:\s*(Error|Warning|Info)\s+([A-Za-z][\w-]*)\s*:\s*(.*?)(?:\s+\[https?:\/\/[^\]]+\])?\s*$/;

/** Parses every diagnostic line; other lines (az's own WARNING: lines) are ignored. */
export function parseBicepDiagnostics(output: string, root?: string): BicepDiagnostic[] {
  const out: BicepDiagnostic[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const m = DIAGNOSTIC.exec(raw.replace(/^(?:WARNING|ERROR):\s*/, "").trim());
    if (!m) continue;
    let file = m[1];
    if (root && path.isAbsolute(file)) {
      const rel = path.relative(root, file);
      if (!rel.startsWith("..")) file = rel.split(path.sep).join("/");
    }
    out.push({ file, line: Number(m[2]), column: Number(m[3]), level: m[4] as DiagnosticLevel, code: m[5], message: m[6] });
  }
  return out;
}

/** `bicep/main.bicep:12:5 error BCP057: The name "foo" does not exist in the current context.` */
export function formatDiagnostic(d: BicepDiagnostic): string {
  return `${d.file}:${d.line}:${d.column} ${d.level.toLowerCase()} ${d.code}: ${d.message}`;
}

/** The lint step failed: at least one error. */
export class BicepLintError extends Error {
  constructor(readonly diagnostics: readonly BicepDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.level === "Error");
    super(
      [
        `Bicep lint found ${errors.length} error${errors.length === 1 ? "" : "s"}; nothing was deployed:`,
        ...errors.map((d) => `  ${formatDiagnostic(d)}`),
        "Fix them and run `az bicep build --file <template>` to check before pushing.",
      ].join("\n"),
    );
    this.name = "BicepLintError";
  }
}
