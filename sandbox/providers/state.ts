/**
 * A stand-in provider's own state: what "the cloud" holds, one JSON file per provider under the
 * sandbox directory. Every change is written at once (to a temporary file, then renamed), and
 * every operation re-reads the file, so a preview, an up and the tests' checks all see the same
 * cloud. Operations run synchronously between reads and writes, so concurrent gRPC calls in one
 * provider process cannot interleave a read-modify-write.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface StoredResource {
  readonly type: string;
  readonly urn: string;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
}

interface StateFile {
  version: 1;
  resources: Record<string, StoredResource>;
  counters: Record<string, number>;
}

export class ProviderState {
  constructor(readonly file: string) {}

  private load(): StateFile {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, "utf8")) as StateFile;
      return { version: 1, resources: parsed.resources ?? {}, counters: parsed.counters ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { version: 1, resources: {}, counters: {} };
      throw new Error(`The sandbox provider state ${this.file} cannot be read (${(err as Error).message}); delete it to start from an empty cloud.`);
    }
  }

  private save(state: StateFile): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
    fs.renameSync(tmp, this.file);
  }

  get(id: string): StoredResource | undefined {
    return this.load().resources[id];
  }

  all(): Record<string, StoredResource> {
    return this.load().resources;
  }

  put(id: string, resource: StoredResource): void {
    const state = this.load();
    state.resources[id] = resource;
    this.save(state);
  }

  remove(id: string): boolean {
    const state = this.load();
    if (!(id in state.resources)) return false;
    delete state.resources[id];
    this.save(state);
    return true;
  }

  next(counter: string, start: number): number {
    const state = this.load();
    const value = Math.max(state.counters[counter] ?? start - 1, start - 1) + 1;
    state.counters[counter] = value;
    this.save(state);
    return value;
  }
}
