// The cgroups the benchmark causes, and the memory figure it reads from them.
//
// The three runtimes place a container's cgroups differently: runc nests a
// relative `cgroupsPath` under its caller's cgroup in each hierarchy, crun
// reads every path from each hierarchy's root, and contain always nests
// `contain/<id>` under its caller's cgroup. The benchmark gives each one a
// parent cgroup of its own in the v1 memory hierarchy, under the caller's
// memory cgroup (the machine's accounting stays whole), and removes afterwards
// every cgroup directory that it, or a runtime on its behalf, created.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from "node:fs";

export interface Hierarchy {
  mount: string; // where it is mounted
  own: string; // this process's cgroup in it, "/" or "/a/b"
  memory: boolean;
}

// Pairs each cgroup mount with this process's line of /proc/self/cgroup: a v1
// mount matches a line when its super options name every controller of the
// line ("rw,memory" - "memory", "rw,name=systemd" - "name=systemd"); cgroup2
// matches the "0::" line.
export function cgroupHierarchies(): Hierarchy[] {
  const lines = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .flatMap((line) => {
      const m = /^\d+:([^:]*):(.*)$/.exec(line);
      return m ? [{ controllers: (m[1] ?? "").split(",").filter(Boolean), path: m[2] ?? "/" }] : [];
    });
  const hierarchies: Hierarchy[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const mount = line.slice(0, sep).split(" ")[4] ?? "";
    const [fstype, , superOptions = ""] = line.slice(sep + 3).split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const options = superOptions.split(",");
    const own = lines.find((l) =>
      fstype === "cgroup2" ? l.controllers.length === 0 : l.controllers.length > 0 && l.controllers.every((c) => options.includes(c)),
    );
    if (own) hierarchies.push({ mount, own: own.path, memory: fstype === "cgroup" && options.includes("memory") });
  }
  return hierarchies;
}

function join(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/").replace(/\/$/, "");
}

// "/a/b" -> ["/a", "/a/b"]
function prefixes(path: string): string[] {
  const names = path.split("/").filter(Boolean);
  return names.map((_, i) => "/" + names.slice(0, i + 1).join("/"));
}

// Removes a cgroup and every cgroup below it, deepest first (a cgroup's
// directory goes with rmdir even though its control files remain).
function removeTree(dir: string, warn: (msg: string) => void): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // already gone
  }
  for (const e of entries) if (e.isDirectory()) removeTree(`${dir}/${e.name}`, warn);
  removeDir(dir, warn);
}

function removeDir(dir: string, warn: (msg: string) => void): void {
  try {
    rmdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") warn(`left cgroup ${dir} in place: ${code}`);
  }
}

export class BenchCgroups {
  readonly hierarchies = cgroupHierarchies();
  private readonly memory = this.hierarchies.find((h) => h.memory);
  // Directories the runtimes may create on our behalf and leave behind, and
  // whether each existed before we started: only the new ones are removed.
  private readonly existedBefore: Map<string, boolean>;

  // `name` is unique to this run of the benchmark (it carries our pid).
  constructor(readonly name: string) {
    const candidates = this.hierarchies.flatMap((h) => [
      join(h.mount, h.own, "contain"), // contain's parent of all containers
      ...prefixes(this.memoryOwn).map((p) => join(h.mount, p)), // crun's absolute path, in every hierarchy
    ]);
    this.existedBefore = new Map(candidates.map((dir) => [dir, existsSync(dir)]));
  }

  get hasMemory(): boolean {
    return this.memory !== undefined;
  }

  private get memoryOwn(): string {
    return this.memory?.own ?? "/";
  }

  // runc: relative, so nested under its caller's cgroup in every hierarchy.
  runcPath(leaf: string): string {
    return `${this.name}/runc/${leaf}`;
  }

  // crun: absolute, spelled so that in the memory hierarchy it lands under
  // the caller's memory cgroup, as runc's and contain's do.
  crunPath(leaf: string): string {
    return join(this.memoryOwn, this.name, "crun", leaf);
  }

  // The memory cgroup a runtime's CLI is started in, for contain: it nests its
  // containers at <caller's cgroup>/contain/<id> and has no option to move them.
  containCliDir(): string {
    return this.memoryDir("contain");
  }

  // The memory parent of each runtime's container cgroups.
  memoryParent(runtime: "contain" | "runc" | "crun"): string {
    return this.memoryDir(runtime === "contain" ? "contain/contain" : runtime);
  }

  private memoryDir(sub: string): string {
    if (!this.memory) throw new Error("no cgroup v1 memory hierarchy on this machine");
    return join(this.memory.mount, this.memory.own, this.name, sub);
  }

  // The peak of memory charged below `dir` while `run` runs, in bytes. `dir`
  // is made anew for each run so that it starts at zero: charges left by
  // earlier runs (page cache, kernel objects) move up to its parent with the
  // old one. The runtimes remove their container's cgroup on exit but keep
  // its parents, so `dir` is still there to read.
  peakInFreshCgroup(dir: string, run: () => void): number {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    mkdirSync(dir, { recursive: true });
    run();
    return Number(readFileSync(`${dir}/memory.max_usage_in_bytes`, "utf8").trim());
  }

  removeAll(warn: (msg: string) => void): void {
    for (const h of this.hierarchies) {
      removeTree(join(h.mount, h.own, this.name), warn); // runc's, contain's CLI and memory parents
      removeTree(join(h.mount, this.memoryOwn, this.name), warn); // crun's
    }
    const created = [...this.existedBefore].filter(([, existed]) => !existed).map(([dir]) => dir);
    // Deepest first: a parent goes only once its children have.
    for (const dir of created.sort((a, b) => b.split("/").length - a.split("/").length)) if (existsSync(dir)) removeDir(dir, warn);
  }
}
