// Package discovery for GetRequiredPackages and GetProgramDependencies.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

/**
 * The resource plugins a program needs, found the way the official host finds them: every
 * package.json below a node_modules directory under the program directory whose `pulumi.resource`
 * is true (the whole tree is walked, following symlinks once; policy pack directories are
 * skipped, their plugins are not the program's). Also collects the @pulumi/pulumi versions seen.
 *
 * @returns {{packages: {name: string, version: string, server?: string,
 *            parameterization?: {name: string, version: string, value: string}}[],
 *            errors: string[], sdkVersions: Record<string, string>}}
 */
function getRequiredPackages(programDir) {
    const packages = [];
    const errors = [];
    const sdkVersions = {};
    const visited = new Set();

    const walk = (dir, inNodeModules) => {
        dir = path.resolve(dir);
        if (visited.has(dir)) return;
        visited.add(dir);
        let entries;
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch (e) {
            errors.push(`reading plugin dir ${dir}: ${e.message}`);
            return;
        }
        const childrenInNodeModules = inNodeModules || path.basename(dir) === "node_modules";
        for (const ent of entries) {
            let curr = path.join(dir, ent.name);
            let isDir = ent.isDirectory();
            if (ent.isSymbolicLink()) {
                try {
                    curr = fs.realpathSync(curr);
                    isDir = fs.statSync(curr).isDirectory();
                } catch (e) {
                    errors.push(`resolving link in plugin dir ${curr}: ${e.message}`);
                    continue;
                }
            }
            if (isDir) {
                if (isPolicyPackDir(curr)) continue;
                walk(curr, childrenInNodeModules);
            } else if (inNodeModules && ent.name === "package.json") {
                let info;
                try {
                    info = JSON.parse(fs.readFileSync(curr, "utf8"));
                } catch (e) {
                    errors.push(`unmarshaling package.json ${curr}: ${e.message}`);
                    continue;
                }
                if (!info || typeof info !== "object") continue;
                if (info.name === "@pulumi/pulumi" && typeof info.version === "string") sdkVersions[curr] = info.version;
                try {
                    const pkg = packageInfo(info);
                    if (pkg) packages.push(pkg);
                } catch (e) {
                    errors.push(`unmarshaling package.json ${curr}: ${e.message}`);
                }
            }
        }
    };
    if (programDir) walk(programDir, false);
    return { packages, errors, sdkVersions };
}

function isPolicyPackDir(dir) {
    return fs.existsSync(path.join(dir, "PulumiPolicy.yaml")) || fs.existsSync(path.join(dir, "PulumiPolicy.yml"));
}

function packageInfo(info) {
    const pulumi = info.pulumi;
    if (!pulumi || typeof pulumi !== "object" || pulumi.resource !== true) return undefined;
    let name = pulumi.name;
    if (!name) {
        if (!info.name) throw new Error('missing expected "name" property');
        if (!info.name.startsWith("@pulumi/")) {
            throw new Error(
                `Missing property "name" for the third-party plugin '${info.name}' inside package.json under the "pulumi" section.`,
            );
        }
        name = info.name.slice("@pulumi/".length);
    }
    let version = pulumi.version || info.version;
    if (!version) throw new Error('Missing expected "version" property');
    if (!version.startsWith("v")) version = `v${version}`;
    const pkg = { name, version, server: pulumi.server || "" };
    if (pulumi.parameterization) {
        pkg.parameterization = {
            name: pulumi.parameterization.name || "",
            version: pulumi.parameterization.version || "",
            value: pulumi.parameterization.value || "",
        };
    }
    return pkg;
}

/**
 * Installed dependencies of the program: the direct ones (dependencies and devDependencies of its
 * package.json, at their installed versions), or with `transitive` every package under node_modules.
 */
function listDependencies(programDir, transitive) {
    const nodeModules = findNodeModules(programDir);
    const installedVersion = (name) => {
        if (!nodeModules) return undefined;
        try {
            return JSON.parse(fs.readFileSync(path.join(nodeModules, name, "package.json"), "utf8")).version;
        } catch {
            return undefined;
        }
    };
    if (!transitive) {
        let manifest;
        try {
            manifest = JSON.parse(fs.readFileSync(path.join(programDir, "package.json"), "utf8"));
        } catch (e) {
            throw new Error(`failed to get node dependencies: reading ${path.join(programDir, "package.json")}: ${e.message}`);
        }
        const deps = { ...(manifest.dependencies || {}), ...(manifest.devDependencies || {}) };
        return Object.keys(deps)
            .sort()
            .map((name) => ({ name, version: installedVersion(name) || deps[name] }));
    }
    const out = [];
    const seen = new Set();
    const visit = (dir) => {
        let entries;
        try {
            entries = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
            return;
        }
        for (const ent of entries) {
            if (ent.name.startsWith(".")) continue;
            const p = path.join(dir, ent.name);
            if (ent.name.startsWith("@")) {
                visit(p);
                continue;
            }
            try {
                const pkg = JSON.parse(fs.readFileSync(path.join(p, "package.json"), "utf8"));
                const key = `${pkg.name}@${pkg.version}`;
                if (pkg.name && !seen.has(key)) {
                    seen.add(key);
                    out.push({ name: pkg.name, version: pkg.version || "" });
                }
            } catch {
                // not a package
            }
            const nested = path.join(p, "node_modules");
            if (fs.existsSync(nested)) visit(nested);
        }
    };
    if (nodeModules) visit(nodeModules);
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

function findNodeModules(dir) {
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
        const nm = path.join(d, "node_modules");
        if (fs.existsSync(nm)) return nm;
        if (path.dirname(d) === d) return undefined;
    }
}

module.exports = { getRequiredPackages, listDependencies };
