// runc's command line on OCI bundles, against the real kernel: what
// podman's conmon and containerd's shim do with a runtime, step by step.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { Harness, isAlive, waitFor } from "./harness.ts";
import { ociBundles } from "./oci-bundles.ts";

const h = new Harness();
const { work, rootfs, bundle, withFiles, create, state, cgroupDir, dispose } = ociBundles(h, "oci");

afterAll(() => {
  dispose();
  h.finish();
});

const cgroupLine = (pid: number, controller: string) => readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n").find((l) => l.split(":")[1] === controller) ?? "";
const memoryDir = (id: string) => cgroupDir("memory", id);

test("create leaves the process waiting in its cgroups, small, before its command; start runs it; delete leaves nothing", async () => {
  const c = create("life", bundle("life", ["sh", "-c", "echo ran as $$"]));
  expect(c.stderr).toBe("");
  expect(c.code).toBe(0);
  const pid = Number(readFileSync(`${work}/life.pid`, "utf8"));
  expect(state("life")).toMatchObject({ ociVersion: "1.2.1", id: "life", pid, status: "created", bundle: `${work}/life`, rootfs });
  // Already charged to the container, as the shim's OOM watch needs.
  expect(cgroupLine(pid, "memory")).toEndWith(`/contain/life`);
  expect(cgroupLine(pid, "pids")).toEndWith(`/contain/life`);
  expect(readFileSync(`${memoryDir("life")}/memory.limit_in_bytes`, "utf8").trim()).toBe("16777216");
  // What waits is the small helper, not Bun, and not the host's binary.
  const rss = Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1]);
  expect(rss).toBeLessThan(2048);
  expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toStartWith("contain-helper");
  await Bun.sleep(100);
  expect(c.out()).toBe(""); // the command has not run
  expect(h.run(["start", "life"]).code).toBe(0);
  await waitFor("the command's output", () => c.out() === "ran as 1\n");
  await waitFor("the container to stop", () => state("life").status === "stopped");
  expect(state("life").pid).toBe(0);
  expect(h.run(["delete", "life"]).code).toBe(0);
  expect(existsSync(memoryDir("life"))).toBe(false);
  expect(h.ids()).toEqual([]);
});

test("delete refuses a running container without --force; kill takes runc's positional signal; --force kills", async () => {
  create("busy", bundle("busy", ["sleep", "1000"]));
  expect(h.run(["start", "busy"]).code).toBe(0);
  expect(state("busy").status).toBe("running");
  const pid = state("busy").pid;
  const refused = h.run(["delete", "busy"]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain("cannot delete container busy that is not stopped: running");
  expect(isAlive(pid)).toBe(true);
  expect(h.run(["kill", "busy", "9"]).code).toBe(0);
  await waitFor("the container to stop", () => state("busy").status === "stopped");
  const again = h.run(["kill", "busy", "KILL"]);
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain("container not running");
  expect(h.run(["delete", "busy"]).code).toBe(0);

  create("forced", bundle("forced", ["sleep", "1000"]));
  expect(h.run(["start", "forced"]).code).toBe(0);
  const forcedPid = state("forced").pid;
  expect(h.run(["delete", "--force", "forced"]).code).toBe(0);
  await waitFor("the init to die", () => !isAlive(forcedPid));
  expect(existsSync(memoryDir("forced"))).toBe(false);
  // runc: deleting with --force what is not there is no error.
  expect(h.run(["delete", "--force", "forced"]).code).toBe(0);
  expect(h.ids()).toEqual([]);
});

test("a created container is deleted without ever running its command", async () => {
  const marker = `${work}/never-ran`;
  const c = create("unstarted", bundle("unstarted", ["sh", "-c", "echo ran"]));
  expect(c.code).toBe(0);
  const pid = state("unstarted").pid;
  expect(h.run(["delete", "unstarted"]).code).toBe(0);
  await waitFor("the waiting process to die", () => !isAlive(pid));
  expect(c.out()).toBe("");
  expect(existsSync(marker)).toBe(false);
  expect(h.ids()).toEqual([]);
});

test("kill --all reaches every process in the container's cgroup", async () => {
  create("all", bundle("all", ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]));
  h.run(["start", "all"]);
  const procs = () => JSON.parse(h.run(["ps", "--format", "json", "all"]).stdout) as number[];
  await waitFor("three processes", () => procs().length === 3);
  expect(h.run(["kill", "--all", "all", "KILL"]).code).toBe(0);
  await waitFor("no process left", () => procs().length === 0);
  expect(h.run(["delete", "all"]).code).toBe(0);
});

test("exec --process --detach --pid-file, as the shim execs: the process joins the container and outlives the CLI", async () => {
  create("target", bundle("target", ["sleep", "1000"]));
  h.run(["start", "target"]);
  const init = state("target").pid;
  const proc = { args: ["sh", "-c", "echo $GREETING > /run/x; exec sleep 1000"], env: ["PATH=/bin", "GREETING=hello"], cwd: "/", user: { uid: 0, gid: 0 }, terminal: false };
  writeFileSync(`${work}/process.json`, JSON.stringify(proc));
  const r = withFiles("exec", ["exec", "--process", `${work}/process.json`, "--detach", "--pid-file", `${work}/exec.pid`, "target"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const pid = Number(readFileSync(`${work}/exec.pid`, "utf8"));
  expect(isAlive(pid)).toBe(true);
  expect(cgroupLine(pid, "memory")).toBe(cgroupLine(init, "memory"));
  await waitFor("the process's output, in the container's /run", () => existsSync(`/proc/${init}/root/run/x`) && readFileSync(`/proc/${init}/root/run/x`, "utf8") === "hello\n");
  // --cap: the kernel's sets of the process say so (CAP_NET_ADMIN is bit 12, not in ctr's defaults).
  const capEff = (extra: string[]) => h.run(["exec", ...extra, "target", "sh", "-c", "grep CapEff /proc/self/status"]).stdout.trim().split(/\s+/)[1] ?? "";
  expect((BigInt(`0x${capEff([])}`) >> 12n) & 1n).toBe(0n);
  expect((BigInt(`0x${capEff(["--cap", "CAP_NET_ADMIN"])}`) >> 12n) & 1n).toBe(1n);
  // Without --detach: it waits, and gives the exit code.
  expect(h.run(["exec", "target", "sh", "-c", "exit 5"]).code).toBe(5);
  const bad = h.run(["exec", "target", "nothere"]);
  expect(bad.code).toBe(127);
  expect(bad.stderr).toContain("executable file not found in $PATH");
  expect(h.run(["delete", "--force", "target"]).code).toBe(0);
  await waitFor("the exec'd process to die with the container", () => !isAlive(pid));
});

test("a pod: a container joins the sandbox's pid, ipc, uts and network namespaces by path, with a mount namespace of its own", async () => {
  create("sandbox", bundle("sandbox", ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"], (c) => (c.hostname = "podhost")));
  expect(h.run(["start", "sandbox"]).code).toBe(0);
  const pause = state("sandbox").pid;
  const ns = (pid: number | "self", type: string) => (pid === "self" ? "" : readlinkSync(`/proc/${pid}/ns/${type}`));
  const joins = (c: Record<string, any>) => {
    c.linux.namespaces = [...["pid", "ipc", "uts"].map((type) => ({ type, path: `/proc/${pause}/ns/${type}` })), { type: "mount" }, { type: "network", path: `/proc/${pause}/ns/net` }];
  };
  // What the member sees: its namespaces, its host name, its own PID, and
  // PID 1 of the namespace (the sandbox's shell) through its fresh /proc.
  const probe = "for t in pid ipc uts net mnt; do readlink /proc/self/ns/$t; done; hostname; echo $$; tr '\\0' ' ' < /proc/1/cmdline; echo";
  const member = create("member", bundle("member", ["sh", "-c", probe], joins));
  expect(member.stderr).toBe("");
  expect(member.code).toBe(0);
  const pid = Number(readFileSync(`${work}/member.pid`, "utf8"));
  // Created in the pod's PID namespace: a second PID of its own there.
  expect(readFileSync(`/proc/${pid}/status`, "utf8").match(/NSpid:\s+(.*)/)?.[1]?.split(/\s+/)).toHaveLength(2);
  expect(h.run(["start", "member"]).code).toBe(0);
  await waitFor("the member's report", () => member.out().split("\n").length >= 9);
  const [pidNs, ipcNs, utsNs, netNs, mntNs, hostname, ownPid, one] = member.out().split("\n");
  expect([pidNs, ipcNs, utsNs, netNs]).toEqual(["pid", "ipc", "uts", "net"].map((t) => ns(pause, t)));
  expect(mntNs).not.toBe(ns(pause, "mnt"));
  expect(hostname).toBe("podhost");
  expect(Number(ownPid)).toBeGreaterThan(1);
  expect(one).toBe("sh -c trap 'exit 0' TERM; while :; do sleep 1; done ");
  await waitFor("the member to stop", () => state("member").status === "stopped");
  expect(h.run(["delete", "member"]).code).toBe(0);
  // The pod's namespaces are the sandbox's: the member's end leaves them be.
  expect(isAlive(pause)).toBe(true);

  // A join whose namespace is gone, or is of another type, is refused by
  // name, leaving nothing.
  const gone = withFiles("ghost", ["create", "--bundle", bundle("ghost", ["true"], (c) => (c.linux.namespaces[0].path = `${work}/no-such-ns`)), "ghost"]);
  expect(gone.code).not.toBe(0);
  expect(gone.stderr).toContain(`${work}/no-such-ns`);
  const wrong = withFiles("wrong", ["create", "--bundle", bundle("wrong", ["true"], (c) => (c.linux.namespaces[0].path = `/proc/${pause}/ns/net`)), "wrong"]);
  expect(wrong.code).not.toBe(0);
  expect(wrong.stderr).toContain(`linux.namespaces: /proc/${pause}/ns/net is not a pid namespace; give the path of a live pid namespace`);
  expect(wrong.stderr.trim().split("\n")).toHaveLength(1);
  // A PID namespace kept by a bind mount after its init died takes no one.
  const kept = `${work}/kept-pidns`;
  writeFileSync(kept, "");
  expect(Bun.spawnSync(["mount", "--bind", `/proc/${pause}/ns/pid`, kept]).exitCode).toBe(0);
  try {
    expect(h.run(["delete", "--force", "sandbox"]).code).toBe(0);
    await waitFor("the sandbox to die", () => !isAlive(pause));
    const orphan = withFiles("orphan", ["create", "--bundle", bundle("orphan", ["true"], (c) => (c.linux.namespaces[0].path = kept)), "orphan"]);
    expect(orphan.code).not.toBe(0);
    expect(orphan.stderr).toContain(`linux.namespaces: the pid namespace ${kept} has no init`);
  } finally {
    Bun.spawnSync(["umount", kept]);
  }
  expect(h.ids()).toEqual([]);
});

test("run --bundle in the foreground: the exit code, then the container is gone", () => {
  const r = h.run(["run", "--bundle", bundle("fg", ["sh", "-c", "echo fg; exit 7"]), "fg"]);
  expect(r.stdout).toBe("fg\n");
  expect(r.code).toBe(7);
  expect(h.ids()).toEqual([]);
});

test("rm and prune leave an OCI caller's container alone; ps -a shows it, marked with its bundle; list is runc's", async () => {
  create("kept", bundle("kept", ["true"]));
  const rm = h.run(["rm", "-f", "kept"]);
  expect(rm.code).not.toBe(0);
  expect(rm.stderr).toContain("contain delete --force kept");
  h.run(["prune"]);
  expect(state("kept").status).toBe("created");
  expect(h.run(["ps", "-a"]).stdout).toContain(`(oci) ${work}/kept`);
  const list = h.run(["list"]).stdout.split("\n");
  expect(list[0]).toMatch(/^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
  expect(list[1]).toMatch(new RegExp(`^kept\\s+\\d+\\s+created\\s+${work}/kept\\s+\\S+\\s+root$`));
  expect(JSON.parse(h.run(["list", "--format", "json"]).stdout)).toMatchObject([{ id: "kept", status: "created" }]);
  expect(h.run(["delete", "kept"]).code).toBe(0);
});

test("runc's global flags: --root before the command, and --log in JSON with the error line a caller shows", () => {
  const log = `${work}/runc.log`;
  const r = Bun.spawnSync([h.bin, "--root", h.root, "--log", log, "--log-format", "json", "state", "nosuch"]);
  expect(r.exitCode).not.toBe(0);
  const line = JSON.parse(readFileSync(log, "utf8").trim().split("\n").pop() ?? "");
  expect(line).toMatchObject({ level: "error", msg: "container does not exist: nosuch" });
  expect(Date.parse(line.time)).toBeGreaterThan(0);
  // A poststart hook's failure is a warning (config.md), in the log too.
  const warned = bundle("warned", ["true"], (c) => (c.hooks = { poststart: [{ path: "/bin/sh", args: ["sh", "-c", "exit 4"] }] }));
  const run = Bun.spawnSync([h.bin, "--root", h.root, "--log", log, "--log-format", "json", "run", "--bundle", warned, "warned"]);
  expect(run.exitCode).toBe(0);
  const warning = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l)).find((l) => l.level === "warning");
  expect(warning?.msg).toContain("poststart hook");
  const systemd = Bun.spawnSync([h.bin, "--systemd-cgroup", "list"]);
  expect(systemd.exitCode).not.toBe(0);
  expect(systemd.stderr.toString()).toContain("--systemd-cgroup");
});

test("bad bundles and IDs: one line each, non-zero, nothing made", () => {
  const cases: [string[], string][] = [
    [["create", "--bundle", `${work}/none`, "x"], `open ${work}/none/config.json: no such file or directory`],
    [["create", "--bundle", bundle("unknown", ["true"], (c) => (c.linux.resources.blockIO = { weight: 10 })), "x"], "linux.resources.blockIO: contain does not support this field yet"],
    [["create", "--bundle", bundle("badvalue", ["true"], (c) => (c.process.user.uid = "root")), "x"], "process.user.uid: "],
    [["create", "--bundle", bundle("noroot", ["true"], (c) => (c.root.path = `${work}/missing`)), "x"], `root.path: ${work}/missing: no such directory`],
    [["create", "--bundle", bundle("sysctl", ["true"], (c) => (c.linux.sysctl = { "vm.swappiness": "1" })), "x"], "linux.sysctl.vm.swappiness: is not namespaced"],
    [["create", "--bundle", bundle("tty", ["true"], (c) => (c.process.terminal = true)), "x"], "--console-socket: "],
    [["create", "--bundle", bundle("noid", ["true"]), "a/b"], "invalid container ID format"],
    [["create", "--bundle", bundle("nocmd", ["nothere"]), "x"], "nothere: executable file not found in $PATH"],
    [["start", "nosuch"], "container does not exist"],
    [["delete", "nosuch"], "container does not exist"],
    [["kill", "--all", "nosuch"], "--all: is for containers made by create"],
    [["create", "--bundle", badJson(), "x"], "config.json: is not valid JSON"],
  ];
  for (const [args, message] of cases) {
    const r = h.run(args);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split("\n").length).toBe(1);
    expect(h.ids()).toEqual([]);
  }
});

function badJson(): string {
  mkdirSync(`${work}/badjson`, { recursive: true });
  writeFileSync(`${work}/badjson/config.json`, "{");
  return `${work}/badjson`;
}

test("an ID in use is refused; a stopped container cannot start again", async () => {
  create("dup", bundle("dup", ["true"]));
  const r = h.run(["create", "--bundle", `${work}/dup`, "dup"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("container with id exists: dup");
  h.run(["start", "dup"]);
  await waitFor("dup to stop", () => state("dup").status === "stopped");
  expect(h.run(["start", "dup"]).stderr).toContain("cannot start a container that has stopped");
  expect(h.run(["delete", "dup"]).code).toBe(0);
});

test("a /dev/console planted as a link by the bundle's own /dev is refused, and nothing outside is bound over", async () => {
  const dev = `${work}/hostile-dev`;
  mkdirSync(dev, { recursive: true });
  const victim = `${work}/victim`;
  writeFileSync(victim, "untouched\n");
  symlinkSync(victim, `${dev}/console`);
  const sock = `${work}/console.sock`;
  const dir = bundle("hostile", ["true"], (c) => {
    c.process.terminal = true;
    c.mounts = c.mounts.map((m: { destination: string }) => (m.destination === "/dev" ? { destination: "/dev", type: "bind", source: dev, options: ["rbind"] } : m));
  });
  const listener = Bun.spawn(["python3", "-c", `import socket,sys\ns=socket.socket(socket.AF_UNIX);s.bind(sys.argv[1]);s.listen(1);print("up",flush=True);c,_=s.accept();socket.recv_fds(c,64,1)`, sock], { stdout: "pipe" });
  await waitFor("the console socket", () => existsSync(sock));
  const r = h.run(["create", "--bundle", dir, "--console-socket", sock, "hostile"]);
  listener.kill();
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("/dev/console");
  expect(readFileSync(victim, "utf8")).toBe("untouched\n");
  expect(h.ids()).toEqual([]);
});

test("pause and resume, runc's names: the state says paused, the freezer holds it, delete --force still ends it", async () => {
  create("frozen", bundle("frozen", ["sleep", "1000"]));
  expect(h.run(["pause", "frozen"]).code).toBe(0); // runc pauses a created container too
  expect(state("frozen").status).toBe("paused");
  expect(h.run(["resume", "frozen"]).code).toBe(0);
  expect(state("frozen").status).toBe("created");
  h.run(["start", "frozen"]);
  expect(h.run(["pause", "frozen"]).code).toBe(0);
  const pid = state("frozen").pid;
  expect(readFileSync(`${cgroupDir("freezer", "frozen")}/freezer.state`, "utf8").trim()).toBe("FROZEN");
  expect(h.run(["delete", "--force", "frozen"]).code).toBe(0);
  await waitFor("the frozen init to die", () => !isAlive(pid));
  expect(h.ids()).toEqual([]);
});

test("hooks: each at its point, in its namespace, with the state on stdin; a failing one before the command stops the create", async () => {
  const dir = `${work}/hooks`;
  mkdirSync(dir, { recursive: true });
  const log = `${dir}/log`;
  // `status` and the mount namespace of the hook, one line each
  const hook = (kind: string, at = log) => ({ path: "/bin/sh", args: ["sh", "-c", `s=$(cat); echo ${kind} $(echo "$s" | sed 's/.*"status":"\\([a-z]*\\)".*/\\1/') $(readlink /proc/self/ns/mnt) >> ${at}`] });
  // The command outlives the poststart hooks (the last one's file lets it
  // end), so that they see it running however slow the machine is.
  const command = "grep CapEff /proc/self/status > /hooks/command-caps; i=0; while [ ! -e /hooks/poststarted ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done";
  const b = bundle("hooked", ["sh", "-c", command], (c) => {
    c.mounts.push({ destination: "/hooks", type: "bind", source: dir, options: ["rbind"] });
    c.hooks = {
      prestart: [hook("prestart")],
      createRuntime: [hook("createRuntime")],
      createContainer: [hook("createContainer")],
      // a file of the image: it runs with the command's capabilities, not the set-up's
      startContainer: [hook("startContainer", "/hooks/log"), { path: "/bin/sh", args: ["sh", "-c", "grep CapEff /proc/self/status > /hooks/hook-caps"] }],
      poststart: [hook("poststart"), { path: "/bin/touch", args: ["touch", `${dir}/poststarted`] }],
      poststop: [hook("poststop")],
    };
  });
  expect(create("hooked", b).code).toBe(0);
  const lines = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  expect(lines().map((l) => l.split(" ").slice(0, 2).join(" "))).toEqual(["prestart creating", "createRuntime creating", "createContainer creating"]);
  expect(h.run(["start", "hooked"]).code).toBe(0);
  await waitFor("the container to stop", () => state("hooked").status === "stopped");
  expect(h.run(["delete", "hooked"]).code).toBe(0);
  const all = lines().map((l) => l.split(" "));
  expect(all.map((l) => `${l[0]} ${l[1]}`)).toEqual(["prestart creating", "createRuntime creating", "createContainer creating", "startContainer created", "poststart running", "poststop stopped"]);
  // The runtime's own namespace for the runtime's hooks; the container's for the others.
  const host = all[0]?.[2];
  expect(all.filter((l) => l[2] === host).map((l) => l[0])).toEqual(["prestart", "createRuntime", "poststart", "poststop"]);
  expect(all[2]?.[2]).not.toBe(host);
  expect(all[3]?.[2]).toBe(all[2]?.[2]);

  expect(readFileSync(`${dir}/hook-caps`, "utf8")).toBe(readFileSync(`${dir}/command-caps`, "utf8"));
  // ...which are fewer than the root that set the container up (this test's own).
  expect(readFileSync(`${dir}/hook-caps`, "utf8")).not.toBe(readFileSync("/proc/self/status", "utf8").match(/^CapEff:.*\n/m)?.[0]);

  const failing = bundle("hookfail", ["true"], (c) => (c.hooks = { createRuntime: [{ path: "/bin/sh", args: ["sh", "-c", "echo no network for you >&2; exit 3"] }] }));
  const r = create("hookfail", failing);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("createRuntime hook /bin/sh: exit status 3: no network for you");
  const slow = bundle("hookslow", ["true"], (c) => (c.hooks = { createContainer: [{ path: "/bin/sleep", args: ["sleep", "10"], timeout: 1 }] }));
  const t = create("hookslow", slow);
  expect(t.code).not.toBe(0);
  expect(t.stderr).toContain("createContainer hook /bin/sleep: timed out after 1s");
  expect(h.ids()).toEqual([]);
});

test("rootfsPropagation rslave: a mount the host makes later reaches the running container; the default (rprivate) keeps it out, and nothing goes back", async () => {
  const shared = mkdtempSync("/tmp/contain-test-shared-");
  const sh = (...args: string[]) => expect(Bun.spawnSync(args).exitCode).toBe(0);
  sh("mount", "-t", "tmpfs", "tmpfs", shared);
  sh("mount", "--make-shared", shared);
  try {
    sh("cp", "-a", rootfs, `${shared}/root`);
    mkdirSync(`${shared}/root/mnt/late`, { recursive: true });
    const seen = (id: string, propagation?: string) => {
      create(id, bundle(id, ["sleep", "1000"], (c) => {
        c.root.path = `${shared}/root`;
        if (propagation) c.linux.rootfsPropagation = propagation;
      }));
      h.run(["start", id]);
      return state(id).pid as number;
    };
    const slave = seen("rslave", "rslave");
    const priv = seen("rprivate");
    sh("mount", "-t", "tmpfs", "-o", "size=1m", "late", `${shared}/root/mnt/late`);
    const mountsOf = (pid: number) => readFileSync(`/proc/${pid}/mountinfo`, "utf8");
    await waitFor("the host's mount in the rslave container", () => / \/mnt\/late .* - tmpfs late /.test(mountsOf(slave)));
    expect(mountsOf(priv)).not.toContain("/mnt/late");
    // The container's own mounts (its /proc, /dev) did not come back to the host.
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(`${shared}/root/proc`);
    for (const id of ["rslave", "rprivate"]) expect(h.run(["delete", "--force", id]).code).toBe(0);
    sh("umount", `${shared}/root/mnt/late`);
  } finally {
    Bun.spawnSync(["umount", "-R", shared]);
    rmSync(shared, { recursive: true, force: true });
  }
});
