// docker's everyday run flags (issue 16, part A), each seen in the kernel's
// own terms inside the container, and in inspect where docker shows it.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Harness, waitFor } from "./harness.ts";

const h = new Harness();
const src = mkdtempSync("/tmp/contain-test-mount-src-");
writeFileSync(`${src}/file`, "from the host\n");
const cidfile = `${h.root}.cid`;
afterAll(() => {
  rmSync(src, { recursive: true, force: true });
  rmSync(cidfile, { force: true });
  h.finish();
});

function ok(args: string[]): string {
  const r = h.run(["run", "-q", ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

const inspect = (ref: string, format: string) => h.run(["inspect", "-f", format, ref]).stdout.trim();

test("--mount: a read-only recursive bind and a tmpfs with its size and mode, as the kernel mounted them", () => {
  const out = ok([
    "--mount", `type=bind,src=${src},dst=/data,readonly`,
    "--mount", "type=tmpfs,destination=/scratch,tmpfs-size=2M,tmpfs-mode=1700",
    "--", "sh", "-c", "cat /data/file; touch /data/x 2>&1 || true; grep -E ' /(data|scratch) ' /proc/mounts; stat -c %a /scratch",
  ]);
  expect(out).toContain("from the host\n");
  expect(out).toContain("Read-only file system");
  expect(out).toMatch(/ \/data \S+ ro[, ]/);
  expect(out).toMatch(/^tmpfs \/scratch tmpfs rw,nosuid,nodev.*size=2048k,mode=1700/m);
  expect(out.trimEnd().split("\n").at(-1)).toBe("1700");
  expect(existsSync(`${src}/x`)).toBe(false);
  h.expectClean();
});

test("--shm-size: /dev/shm holds that much and no more (ENOSPC), and the default is docker's 64M", () => {
  const out = ok(["--shm-size", "1M", "--", "sh", "-c", "df -k /dev/shm | tail -1; dd if=/dev/zero of=/dev/shm/fill bs=64k count=64 2>&1; true"]);
  expect(out).toMatch(/^shm\s+1024\s/m);
  expect(out).toContain("No space left on device");
  expect(ok(["--", "sh", "-c", "df -k /dev/shm | tail -1"])).toMatch(/^shm\s+65536\s/);
  h.expectClean();
});

test("--sysctl: the values inside, in the container's own namespaces; the host's unchanged", () => {
  const host = ["/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/shmmni"].map((f) => readFileSync(f, "utf8"));
  const out = ok(["--sysctl", "net.ipv4.ip_unprivileged_port_start=42", "--sysctl", "kernel.shmmni=1234", "--", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/shmmni"]);
  expect(out).toBe("42\n1234\n");
  expect(["/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/shmmni"].map((f) => readFileSync(f, "utf8"))).toEqual(host);
  h.expectClean();
});

test("--group-add by name and by GID: id -G shows both", () => {
  expect(ok(["--group-add", "daemon", "--group-add", "4242", "--", "id", "-G"])).toBe("0 1 4242\n");
  h.expectClean();
});

test("--entrypoint: the command's first word, the command its arguments", () => {
  expect(ok(["--entrypoint", "echo", "--", "a", "b"])).toBe("a b\n");
  expect(ok(["--entrypoint", "/bin/pwd"])).toBe("/\n"); // no command: the entrypoint alone
  h.expectClean();
});

test("--hostname with --domainname: the UTS namespace's names", () => {
  expect(ok(["--hostname", "box", "--domainname", "example.com", "--", "sh", "-c", "hostname; cat /proc/sys/kernel/domainname"])).toBe("box\nexample.com\n");
  h.expectClean();
});

test("inspect shows them as docker does", () => {
  const id = h
    .run(["run", "-d", "-q", "--shm-size", "2M", "--sysctl", "net.ipv4.ip_forward=1", "--group-add", "daemon", "--entrypoint", "sleep", "--domainname", "example.com", "--stop-signal", "usr1", "--stop-timeout", "3", "--", "60"])
    .stdout.trim();
  expect(inspect(id, "{{json .HostConfig.ShmSize}} {{json .HostConfig.Sysctls}} {{json .HostConfig.GroupAdd}}")).toBe('2097152 {"net.ipv4.ip_forward":"1"} ["daemon"]');
  expect(inspect(id, "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.Domainname}} {{.Config.StopSignal}} {{.Config.StopTimeout}}")).toBe('["sleep"] ["60"] example.com SIGUSR1 3');
  expect(h.run(["rm", "-f", id]).code).toBe(0);
  h.expectClean();
});

// The container records what reaches it: the stop signal, trapped; after it,
// the SIGKILL of the stop timeout ends a PID 1 that lives on.
const TRAP = "trap 'echo got-$0 >> /out/log' USR1 TERM; echo started >> /out/log; while true; do sleep 0.1; done";

test("--stop-signal, --stop-timeout: stop sends the container's signal, then SIGKILL once its timeout is over", async () => {
  const out = mkdtempSync("/tmp/contain-test-stop-");
  try {
    const id = h.run(["run", "-d", "-q", "-v", `${out}:/out`, "--stop-signal", "SIGUSR1", "--stop-timeout", "1", "--", "sh", "-c", TRAP.replace("$0", "USR1")]).stdout.trim();
    await waitFor("the trap", () => existsSync(`${out}/log`));
    expect(h.run(["stop", id]).code).toBe(0);
    expect(readFileSync(`${out}/log`, "utf8")).toBe("started\ngot-USR1\n"); // the signal arrived, the trap ignored it
    expect(inspect(id, "{{.State.ExitCode}}")).toBe("137"); // then SIGKILL
    // restart stops it the same way: started again, signalled, started again
    rmSync(`${out}/log`);
    expect(h.run(["start", id]).code).toBe(0);
    await waitFor("the trap again", () => existsSync(`${out}/log`));
    expect(h.run(["restart", id]).code).toBe(0);
    await waitFor("the third start", () => readFileSync(`${out}/log`, "utf8").endsWith("got-USR1\nstarted\n"));
    expect(h.run(["rm", "-f", id]).code).toBe(0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  h.expectClean();
});

test("--cidfile: the full ID, refused when it exists (nothing started), gone with the container", async () => {
  const id = h.run(["run", "-d", "-q", "--cidfile", cidfile, "--", "sleep", "60"]).stdout.trim();
  expect(readFileSync(cidfile, "utf8")).toBe(id);
  const again = h.run(["run", "-q", "--cidfile", cidfile, "--", "true"]);
  expect(again.stderr).toBe(`[contain] error: --cidfile: ${cidfile} exists; make sure no container uses it, then remove it (rm ${cidfile}), or give another file\n`);
  expect(again.code).toBe(125);
  expect(h.ids()).toEqual([id]);
  expect(h.run(["rm", "-f", id]).code).toBe(0);
  expect(existsSync(cidfile)).toBe(false);
  // a foreground run (always removed), and -d --rm
  expect(ok(["--cidfile", cidfile, "--", "sh", "-c", "echo ran"])).toBe("ran\n");
  expect(existsSync(cidfile)).toBe(false);
  const rm = h.run(["run", "-d", "-q", "--rm", "--cidfile", cidfile, "--", "sleep", "0.2"]).stdout.trim();
  expect(readFileSync(cidfile, "utf8")).toBe(rm);
  // the monitor removes the entry just after the exit
  await waitFor("the --rm removal", () => h.ids().length === 0 && !existsSync(cidfile));
  h.expectClean();
});
