/**
 * Installs the stand-in provider plugins into an isolated PULUMI_HOME (never the user's
 * ~/.pulumi): `plugins/resource-<pkg>-v<version>/pulumi-resource-<pkg>`, a launcher that runs the
 * compiled ./main.js with Node. No PulumiPlugin.yaml: the engine runs the executable directly, so the
 * stand-ins do not depend on the Node language host. Idempotent: files are rewritten only when they
 * differ.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { sdkPluginVersion, STAND_IN_PACKAGES, type StandInPackage } from "./index";

export interface InstalledPlugin {
  readonly pkg: StandInPackage;
  readonly version: string;
  readonly launcher: string;
  /** False when the launcher was already there and up to date. */
  readonly changed: boolean;
}

/** The launcher script of one stand-in. */
export function launcherScript(pkg: StandInPackage, version: string, entry: string, sandboxDir: string): string {
  return [
    "#!/bin/sh",
    `# Stand-in for pulumi-resource-${pkg} v${version}: the delivery-platform sandbox's fake ${pkg} provider`,
    "# (sandbox/providers). It lives only in the sandbox's PULUMI_HOME and keeps its state under the sandbox directory.",
    `: "\${DELIVERY_SANDBOX_DIR:=${sandboxDir}}"`,
    "export DELIVERY_SANDBOX_DIR",
    `exec node ${JSON.stringify(entry)} ${pkg} "$@"`,
    "",
  ].join("\n");
}

export function installStandInPlugins(options: { pulumiHome: string; sandboxDir: string; repoRoot: string; entry?: string }): InstalledPlugin[] {
  const entry = options.entry ?? path.join(options.repoRoot, "dist", "sandbox", "providers", "main.js");
  if (!fs.existsSync(entry)) throw new Error(`The stand-in providers are not compiled (${entry} is missing): run \`npm run build\` (npm ci does it).`);
  return STAND_IN_PACKAGES.map((pkg) => {
    const version = sdkPluginVersion(pkg, options.repoRoot);
    const dir = path.join(options.pulumiHome, "plugins", `resource-${pkg}-v${version}`);
    const launcher = path.join(dir, `pulumi-resource-${pkg}`);
    const text = launcherScript(pkg, version, entry, options.sandboxDir);
    const current = fs.existsSync(launcher) ? fs.readFileSync(launcher, "utf8") : undefined;
    if (current !== text) {
      fs.mkdirSync(dir, { recursive: true });
      // Written aside and renamed over: a provider starting at this moment in another sandbox (the
      // workflow scenarios run two worlds at once) reads the old launcher or the new, never half of one.
      const written = `${launcher}.${process.pid}.tmp`;
      fs.writeFileSync(written, text, { mode: 0o755 });
      fs.chmodSync(written, 0o755);
      fs.renameSync(written, launcher);
    }
    return { pkg, version, launcher, changed: current !== text };
  });
}
