/**
 * Where the scenario runner keeps its job workspaces (sandbox/workflow-runner/world.ts `runnerDisk`):
 * the disk named by DELIVERY_RUNNER_DISK, else the RAM disk when it has room, else the world itself.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runnerDisk } from "../../sandbox/workflow-runner/world";

let scratch: string;
beforeEach(() => (scratch = fs.mkdtempSync(path.join(os.tmpdir(), "runner-disk-"))));
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("runnerDisk", () => {
  it("makes a new directory on the disk DELIVERY_RUNNER_DISK names, creating that disk's directory if needed", () => {
    const named = path.join(scratch, "fast", "disk");
    const first = runnerDisk(path.join(scratch, "world"), { DELIVERY_RUNNER_DISK: named }, path.join(scratch, "no-ram-disk"));
    const second = runnerDisk(path.join(scratch, "world"), { DELIVERY_RUNNER_DISK: named }, path.join(scratch, "no-ram-disk"));
    expect(path.dirname(first)).toBe(named);
    expect(path.basename(first)).toMatch(/^delivery-runner-/);
    expect(fs.statSync(first).isDirectory()).toBe(true);
    expect(second).not.toBe(first);
  });

  it("uses the RAM disk when nothing is named and it has room", () => {
    const ram = path.join(scratch, "ram");
    fs.mkdirSync(ram);
    const disk = runnerDisk(path.join(scratch, "world"), {}, ram);
    expect(path.dirname(disk)).toBe(ram);
  });

  it("falls back to the world's own directory when there is no RAM disk", () => {
    const world = path.join(scratch, "world");
    expect(runnerDisk(world, {}, path.join(scratch, "no-ram-disk"))).toBe(path.join(world, "act-cache"));
  });

  it("treats an empty DELIVERY_RUNNER_DISK as unset", () => {
    const world = path.join(scratch, "world");
    expect(runnerDisk(world, { DELIVERY_RUNNER_DISK: "" }, path.join(scratch, "no-ram-disk"))).toBe(path.join(world, "act-cache"));
  });
});
