// contain's limits on a pure cgroup v2 kernel, enforced for real: one qemu
// boot (test/vm/vm.ts) runs every check below and prints `RESULT name value`
// lines on the serial console; the tests read them.
//
// The guest's root is the initramfs, where pivot_root is impossible (the
// kernel refuses to pivot away from rootfs, whatever the new root is mounted
// on): contain falls back to moving the root and chroot, so this covers that
// path; a root on a disk, as on the host, takes pivot_root.
import { beforeAll, describe, expect, test } from "bun:test";
import { runInVm } from "./vm.ts";

// --net none throughout: the guest has no nft tool, and its bridge and veth
// drivers are modules; the network is tested on the host (test/integration).
const GUEST_SCRIPT = String.raw`
result() { echo "RESULT $*"; }

# What a run left behind: container cgroups and state entries.
leftovers() {
  cgroups=$(find /sys/fs/cgroup/contain -mindepth 1 -type d 2>/dev/null | wc -l)
  states=$(find /run/contain -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
  result "leftovers_$1" "cgroups=$cgroups state=$states"
}

# Starts a container in the background and waits until its command prints
# "ready": it then runs in its cgroup with its TERM trap set. Sets $runtime
# (the contain process) and $cgroup.
start_container() {
  name=$1
  shift
  contain run --net none -q "$@" >/tmp/$name.out 2>/tmp/$name.err &
  runtime=$!
  for i in $(seq 300); do
    grep -q ready /tmp/$name.out && break
    sleep 0.1
  done
  cgroup=$(ls -d /sys/fs/cgroup/contain/*/ | head -n 1)
  result "$name"_cgroup "$(basename "$cgroup")"
}

# SIGTERM goes to the runtime, which forwards it to the container's PID 1. The
# watchdog keeps a lost signal from hanging the guest until qemu's timeout.
stop_container() {
  kill -TERM $runtime
  (sleep 20; kill -KILL $runtime 2>/dev/null) &
  watchdog=$!
  wait $runtime
  result "$1"_exit $?
  kill $watchdog 2>/dev/null
  leftovers "$1"
}

cpu_usage_usec() { awk '$1 == "usage_usec" { print $2 }' "$cgroup/cpu.stat"; }
uptime_usec() { awk '{ printf "%d\n", $1 * 1000000 }' /proc/uptime; }

# 1. Pure v2: no controller bound to a v1 hierarchy, and none can be.
result cgroup_fs "$(awk '$2 == "/sys/fs/cgroup" { print $3 }' /proc/mounts)"
result v1_hierarchies "$(awk 'NR > 1 && $2 != 0' /proc/cgroups | wc -l)"
mkdir /tmp/v1
if mount -t cgroup -o memory none /tmp/v1 2>/dev/null; then result v1_mount allowed; else result v1_mount refused; fi
result controllers "$(cat /sys/fs/cgroup/cgroup.controllers)"

# A plain run, logs on: the chroot fallback, and the container's own cgroup
# namespace (its cgroup is its "/").
contain run --net none -- /bin/cat /proc/self/cgroup >/tmp/basic.out 2>/tmp/basic.err
result basic_exit $?
result basic_cgroup "$(cat /tmp/basic.out)"
if grep -q 'pivot_root is impossible' /tmp/basic.err; then result basic_chroot_warning yes; else result basic_chroot_warning no; fi
result root_subtree_control "$(cat /sys/fs/cgroup/cgroup.subtree_control)"
result contain_subtree_control "$(cat /sys/fs/cgroup/contain/cgroup.subtree_control)"
leftovers basic

# Devices: v2 has no devices controller; an eBPF program on the container's
# cgroup denies the console (opened read-only) and lets /dev/null and a
# --device-cgroup-rule through.
contain run --net none -q -- /bin/sh -c 'mknod /dev/c c 5 1 && (: < /dev/c); echo x > /dev/null && echo null-ok' >/tmp/dev.out 2>&1
result devices_console "$(grep -c 'Operation not permitted' /tmp/dev.out)"
result devices_null "$(grep -c null-ok /tmp/dev.out)"
contain run --net none -q --device-cgroup-rule 'c 5:1 r' -- /bin/sh -c 'mknod /dev/c c 5 1 && (: < /dev/c) && echo console-open' >/tmp/dev2.out 2>&1
result devices_rule "$(cat /tmp/dev2.out)"
leftovers devices
# The init runs from the binary sealed on a detached overlayfs (CVE-2019-5736),
# not from a memfd copy of it.
contain run --net none --debug -- /bin/true >/tmp/seal.out 2>&1
if grep -q 'sealed memfd copy' /tmp/seal.out; then result seal memfd; elif grep -q 'fsmount(' /tmp/seal.out; then result seal overlay; else result seal none; fi

# 2. memory.max: tail keeps everything it reads from /dev/zero, which has no newline.
contain run --net none -q --memory 16M -- /bin/sh -c 'exec tail /dev/zero' >/dev/null 2>/tmp/oom.err
result oom_exit $?
result oom_stderr "$(cat /tmp/oom.err)"
leftovers oom

# The container's own cgroup at /sys/fs/cgroup, read-only: its limits; no
# child cgroup, no process but its own; nothing writable, no cgroup2 mount.
contain run --net none -q --memory 16M --pids 8 --cpus 0.5 -- /bin/sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max' >/tmp/cgfs.out 2>&1
result cgroupfs_limits "$(tr '\n' ' ' < /tmp/cgfs.out)"
contain run --net none -q -- /bin/sh -c 'grep " /sys/fs/cgroup " /proc/self/mountinfo | cut -d" " -f4,6,8; find /sys/fs/cgroup -mindepth 1 -type d | wc -l; cat /sys/fs/cgroup/cgroup.procs | tr "\n" " "' >/tmp/cgfs.out 2>&1
result cgroupfs_mount "$(sed -n 1p /tmp/cgfs.out)"
result cgroupfs_children "$(sed -n 2p /tmp/cgfs.out)"
result cgroupfs_procs "$(sed -n 3p /tmp/cgfs.out)"
contain run --net none -q --memory 16M -- /bin/sh -c 'echo max > /sys/fs/cgroup/memory.max; mkdir /sys/fs/cgroup/child; mkdir /x; mount -t cgroup2 none /x; cat /sys/fs/cgroup/memory.max' >/tmp/cgfs.out 2>&1
result cgroupfs_writes "$(tr '\n' '|' < /tmp/cgfs.out)"
leftovers cgroupfs

# OOMKilled (docker's rule: any process of the container): a hog child
# killed while PID 1 exits with its own code; PID 1 the hog; one far from it.
contain run -d -q --net none --name oomchild --memory 16M -- /bin/sh -c 'tail /dev/zero; exit 3' >/dev/null
contain run -d -q --net none --name oompid1 --memory 16M -- tail /dev/zero >/dev/null
contain run -d -q --net none --name oomnone --memory 16M -- true >/dev/null
for c in oomchild oompid1 oomnone; do contain wait $c >/dev/null; done
result oom_inspect "$(contain inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' oomchild oompid1 oomnone | tr '\n' ' ')"
result oom_ps "$(contain ps -a --format '{{.Names}} {{.Status}}' | grep -o 'oom[a-z0-9]* Exited ([0-9]*)' | sort | tr '\n' ' ')"
contain rm oomchild oompid1 oomnone >/dev/null
leftovers oomkilled

# 3. pids.max counts the shell itself: 7 sleeps fit beside it, the 8th fork fails.
contain run --net none -q --pids 8 -- /bin/sh -c 'for i in $(seq 20); do sleep 30 & echo started; done' >/tmp/pids.out 2>/tmp/pids.err
result pids_started "$(grep -c started /tmp/pids.out)"
result pids_cant_fork "$(grep -c "can't fork" /tmp/pids.err)"
leftovers pids

# The runtime's own start-up is outside the limits.
contain run --net none -q --pids 2 -- /bin/true
result pids2_exit $?
leftovers pids2
contain run --net none -q --memory 4M -- /bin/true
result memory4_exit $?
leftovers memory4

# The files contain wrote, read while the container runs.
start_container limits --memory 16M --pids 8 -- /bin/sh -c 'trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done'
result memory_max "$(cat "$cgroup/memory.max")"
result memory_swap_max "$(cat "$cgroup/memory.swap.max")"
result pids_max "$(cat "$cgroup/pids.max")"
stop_container limits

# 4. cpu.max: a busy loop held to half a CPU, measured by the kernel's own accounting.
start_container cpu --cpu 0.5 -- /bin/sh -c 'trap "exit 0" TERM; echo ready; while :; do :; done'
result cpu_max "$(cat "$cgroup/cpu.max")"
usage0=$(cpu_usage_usec)
wall0=$(uptime_usec)
sleep 2
usage1=$(cpu_usage_usec)
wall1=$(uptime_usec)
result cpu_usage_usec $((usage1 - usage0))
result cpu_wall_usec $((wall1 - wall0))
result cpu_nr_throttled "$(awk '$1 == "nr_throttled" { print $2 }' "$cgroup/cpu.stat")"
stop_container cpu

# 5. A node (a detached container, supervised by its monitor): its cgroup,
# exec into it (the chroot fallback's root, the cgroup namespace), stop, rm.
pid=$(contain node create n1 --mem 256 --cpu 512 --net none 2>/tmp/node.err)
result node_create_exit $?
ncg=$(ls -d /sys/fs/cgroup/contain/*/ | head -n 1)
result node_memory_max "$(cat "$ncg/memory.max")"
result node_cpu_weight "$(cat "$ncg/cpu.weight")"
result node_pid_in_cgroup "$(grep -cx "$pid" "$ncg/cgroup.procs")"
result node_exec_cgroup "$(contain exec n1 -- cat /proc/self/cgroup)"
result node_exec_root "$(contain exec n1 -- ls / | tr "\n" " ")"
contain exec n1 -- sh -c 'exit 4'
result node_exec_status $?
contain stop -t 1 n1 >/dev/null
result node_exit "$(contain wait n1)"
contain rm n1 >/dev/null
leftovers node

# 6. pause: 1 in cgroup.freeze, "frozen 1" in cgroup.events, a counter that
# stands still until unpause; docker's refusals; a paused container stops
# (SIGTERM, thawed to take it) and dies (SIGKILL).
contain run -d -q --net none --name p1 -- /bin/sh -c 'trap "exit 0" TERM; i=0; while :; do i=$((i+1)); echo $i > /tmp/c; mv /tmp/c /tmp/count; sleep 0.05; done' >/dev/null
pcg=$(ls -d /sys/fs/cgroup/contain/*/ | head -n 1)
count() { cat /proc/$ppid/root/tmp/count 2>/dev/null || echo 0; }
ppid=$(contain ps | awk 'NR == 2 { print $3 }')
for i in $(seq 100); do [ "$(count)" -gt 0 ] && break; sleep 0.1; done
result pause_out "$(contain pause p1)"
result pause_freeze "$(cat "$pcg/cgroup.freeze")"
result pause_events "$(grep frozen "$pcg/cgroup.events")"
c1=$(count)
sleep 1
c2=$(count)
result pause_still "$c1 $c2"
result pause_ps "$(contain ps | awk 'NR == 2' | grep -o 'Up .*(Paused)')"
contain pause p1 2>/tmp/pause.err
result pause_again "$? $(cat /tmp/pause.err)"
contain exec p1 -- true 2>/tmp/pause.err
result pause_exec "$? $(cat /tmp/pause.err)"
result unpause_out "$(contain unpause p1)"
result unpause_freeze "$(cat "$pcg/cgroup.freeze") $(grep frozen "$pcg/cgroup.events")"
for i in $(seq 100); do [ "$(count)" -gt $((c2 + 3)) ] && break; sleep 0.1; done
result unpause_count "$c2 $(count)"
contain unpause p1 2>/tmp/pause.err
result unpause_again "$? $(cat /tmp/pause.err)"
contain pause p1 >/dev/null
contain stop p1 >/dev/null
result pause_stop "$? $(contain wait p1)"
contain rm p1 >/dev/null
contain run -d -q --net none --name p2 -- sleep 1000 >/dev/null
contain pause p2 >/dev/null
contain kill p2 >/dev/null
result pause_kill "$(contain wait p2)"
contain rm p2 >/dev/null
leftovers pause

# 7. runc's create/start/delete on a bundle: the waiting process already in
# the cgroup of cgroupsPath, with its limits; the container's own cgroup
# bound at /sys/fs/cgroup; nothing left after delete.
mkdir -p /tmp/bundle
cat > /tmp/bundle/config.json <<JSON
{"ociVersion": "1.0.2-dev",
 "process": {"args": ["sh", "-c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max; cat /proc/self/cgroup"], "env": ["PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
 "root": {"path": "$(ls -d /var/lib/contain/rootfs/default-* | head -n 1)", "readonly": true},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "network"}],
           "cgroupsPath": "/oci-v2/c1",
           "resources": {"memory": {"limit": 16777216}, "pids": {"limit": 8}, "devices": [{"allow": false, "access": "rwm"}]}}}
JSON
contain create --bundle /tmp/bundle --pid-file /tmp/bundle/pid c1 >/tmp/c1.out 2>/tmp/c1.err
result oci_create "$? $(cat /tmp/c1.err)"
result oci_state "$(contain state c1 | grep -o '"status": "[a-z]*"')"
result oci_procs "$(cat /sys/fs/cgroup/oci-v2/c1/cgroup.procs) $(cat /tmp/bundle/pid)"
result oci_limit "$(cat /sys/fs/cgroup/oci-v2/c1/memory.max)"
contain start c1
for i in $(seq 100); do grep -q '^0::' /tmp/c1.out && break; sleep 0.1; done
result oci_out "$(tr '\n' ' ' < /tmp/c1.out)"
for i in $(seq 100); do contain state c1 | grep -q stopped && break; sleep 0.1; done
contain delete c1
result oci_delete "$? $(ls -d /sys/fs/cgroup/oci-v2/c1 2>&1 | grep -c 'No such')"
rmdir /sys/fs/cgroup/oci-v2
leftovers oci

# 8. cpuset, update and unified on v2: --cpuset-cpus confines the command;
# update rewrites a running container's files (cpuset.cpus, memory.max,
# pids.max) and takes linux.resources JSON on stdin, unified and
# hugepageLimits among it; events --stats reads the new limits back.
result cpuset_run "$(contain run --net none -q --cpuset-cpus 1 -- grep Cpus_allowed_list /proc/self/status | cut -f2)"
contain run -d -q --net none --name u1 --memory 16M -- sleep 1000 >/dev/null
ucg=$(ls -d /sys/fs/cgroup/contain/*/ | head -n 1)
result update_controllers "$(cat "$ucg/cgroup.controllers")"
contain update --memory 32M --pids-limit 5 --cpuset-cpus 0 u1
result update_exit $?
result update_files "$(cat "$ucg/memory.max") $(cat "$ucg/pids.max") $(cat "$ucg/cpuset.cpus")"
echo '{"unified": {"memory.high": "20971520"}, "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}], "memory": {"swappiness": 10}}' | contain update -r - u1
result update_json_exit $?
result update_json_files "$(cat "$ucg/memory.high") $(cat "$ucg/hugetlb.2MB.max")"
echo '{"unified": {"nothere.max": "1"}}' | contain update -r - u1 2>/tmp/update.err
result update_bad "$? $(cat /tmp/update.err)"
result update_events "$(contain events --stats u1 | grep -o '"limit":[0-9]*' | tr '\n' ' ')"
contain rm -f u1 >/dev/null
leftovers update
`;

function parseResults(output: string): Map<string, string> {
  const results = new Map<string, string>();
  for (const m of output.matchAll(/^RESULT (\S+) ?(.*)$/gm)) results.set(m[1] ?? "", m[2] ?? "");
  return results;
}

const SUITE = "contain on a pure cgroup v2 kernel (qemu)";

// Root: apt-get on the host, and contain itself. A skipped describe() would
// still list its beforeAll as an unnamed skip.
if (process.getuid?.() !== 0) test.skip(`${SUITE}: needs root`, () => {});
else describe(SUITE, () => {
  let results = new Map<string, string>();
  const result = (name: string) => results.get(name);
  const num = (name: string) => Number(result(name));

  beforeAll(async () => {
    const output = await runInVm(GUEST_SCRIPT);
    console.error(`--- guest output ---\n${output}--- end of guest output ---`);
    results = parseResults(output);
  }, 600_000);

  test("the guest is pure cgroup v2", () => {
    expect(result("cgroup_fs")).toBe("cgroup2");
    expect(result("v1_hierarchies")).toBe("0");
    expect(result("v1_mount")).toBe("refused");
    expect(result("controllers")?.split(" ")).toEqual(expect.arrayContaining(["cpu", "memory", "pids"]));
  });

  test("a container runs, in its own cgroup namespace, through the chroot fallback", () => {
    expect(result("basic_exit")).toBe("0");
    expect(result("basic_cgroup")).toBe("0::/");
    expect(result("basic_chroot_warning")).toBe("yes");
    for (const file of ["root_subtree_control", "contain_subtree_control"])
      expect(result(file)?.split(" ")).toEqual(expect.arrayContaining(["cpu", "memory", "pids"]));
  });

  test("devices: the eBPF filter denies the console, allows /dev/null and a --device-cgroup-rule", () => {
    expect(result("devices_console")).toBe("1");
    expect(result("devices_null")).toBe("1");
    expect(result("devices_rule")).toBe("console-open");
  });

  test("the init runs from the binary sealed on overlayfs", () => {
    expect(result("seal")).toBe("overlay");
  });

  test("--memory 16M: the kernel OOM-kills a hog, contain says so and exits 137", () => {
    expect(result("oom_exit")).toBe("137");
    expect(result("oom_stderr")).toContain("killed: out of memory (limit 16M)");
  });

  test("the container's own cgroup at /sys/fs/cgroup: its limits, read-only, nothing of the host's", () => {
    expect(result("cgroupfs_limits")).toBe(`${16 * 1024 * 1024} 8 50000 100000 `);
    // the bind's root as the container's cgroup namespace shows it, and its options
    expect(result("cgroupfs_mount")).toBe("/ ro,nosuid,nodev,noexec,relatime cgroup2");
    expect(result("cgroupfs_children")).toBe("0");
    expect(result("cgroupfs_procs")).toMatch(/^1( [1-9]\d?)+ $/); // sh, cat and tr: small pids of its PID namespace
    expect(result("cgroupfs_writes")).toMatch(/Read-only file system\|.*Read-only file system\|.*(permission denied|not permitted).*\|16777216\|$/);
  });

  test("OOMKilled: any process of the container, PID 1 or not; the exit code its own", () => {
    expect(result("oom_inspect")).toBe("3 true 137 true 0 false ");
    expect(result("oom_ps")).toBe("oomchild Exited (3) oomnone Exited (0) oompid1 Exited (137) ");
  });

  test("--pids 8: no more than 8 processes", () => {
    expect(num("pids_started")).toBeGreaterThan(0);
    expect(num("pids_started")).toBeLessThanOrEqual(7);
    expect(num("pids_cant_fork")).toBeGreaterThan(0);
  });

  test("--pids 2 and --memory 4M leave room for the command", () => {
    expect(result("pids2_exit")).toBe("0");
    expect(result("memory4_exit")).toBe("0");
  });

  test("the cgroup files hold the limits while the container runs", () => {
    expect(result("limits_cgroup")).toMatch(/^[0-9a-f]{64}$/);
    expect(result("memory_max")).toBe(String(16 * 1024 * 1024));
    expect(result("memory_swap_max")).toBe("0");
    expect(result("pids_max")).toBe("8");
    expect(result("cpu_max")).toBe("50000 100000");
  });

  test("--cpu 0.5 holds a busy loop to about half a CPU", () => {
    // Software emulation is noisy; unlimited, the loop would take a whole CPU.
    const ratio = num("cpu_usage_usec") / num("cpu_wall_usec");
    console.error(`cpu ratio under --cpu 0.5: ${ratio.toFixed(3)}`);
    expect(ratio).toBeGreaterThan(0.3);
    expect(ratio).toBeLessThan(0.7);
    expect(num("cpu_nr_throttled")).toBeGreaterThan(0);
  });

  test("SIGTERM reaches the container through the runtime", () => {
    expect(result("limits_exit")).toBe("0");
    expect(result("cpu_exit")).toBe("0");
  });

  test("a node: 256M and the weight of 512 shares; exec joins its cgroup and root; stop escalates", () => {
    expect(result("node_create_exit")).toBe("0");
    expect(result("node_memory_max")).toBe(String(256 * 1024 * 1024));
    expect(result("node_cpu_weight")).toBe("20"); // 1 + (512 - 2) * 9999 / 262142
    expect(result("node_pid_in_cgroup")).toBe("1");
    expect(result("node_exec_cgroup")).toBe("0::/");
    expect(result("node_exec_root")).toContain("bin");
    expect(result("node_exec_root")).not.toContain("init"); // the guest's initramfs root has /init
    expect(result("node_exec_status")).toBe("4");
    expect(result("node_exit")).toBe("137");
  });

  test("pause freezes through cgroup.freeze: the counter stands still until unpause; a paused container stops and dies", () => {
    expect(result("pause_out")).toBe("p1");
    expect(result("pause_freeze")).toBe("1");
    expect(result("pause_events")).toBe("frozen 1");
    const [c1, c2] = (result("pause_still") ?? "").split(" ").map(Number);
    expect(c1).toBeGreaterThan(0);
    expect(c2).toBe(c1 ?? -1);
    expect(result("pause_ps")).toMatch(/^Up .* \(Paused\)$/);
    expect(result("pause_again")).toBe("1 [contain] error: Container p1 is already paused; unpause it with contain unpause p1");
    expect(result("pause_exec")).toMatch(/^1 \[contain\] error: container p1 is paused, unpause the container before exec;/);
    expect(result("unpause_out")).toBe("p1");
    expect(result("unpause_freeze")).toBe("0 frozen 0");
    const [before, after] = (result("unpause_count") ?? "").split(" ").map(Number);
    expect(after).toBeGreaterThan((before ?? 0) + 3);
    expect(result("unpause_again")).toMatch(/^1 \[contain\] error: Container p1 is not paused;/);
    expect(result("pause_stop")).toBe("0 0"); // the TERM trap ran: exit 0, not 137
    expect(result("pause_kill")).toBe("137");
  });

  test("runc's create, start and delete: the waiting process in cgroupsPath's cgroup with its limits, which the container sees as its /sys/fs/cgroup", () => {
    expect(result("oci_create")).toBe("0 ");
    expect(result("oci_state")).toBe('"status": "created"');
    const [inCgroup, pidFile] = (result("oci_procs") ?? "").split(" ");
    expect(inCgroup).toMatch(/^\d+$/);
    expect(inCgroup).toBe(pidFile);
    expect(result("oci_limit")).toBe("16777216");
    expect(result("oci_out")).toBe("16777216 8 0::/oci-v2/c1 ");
    expect(result("oci_delete")).toBe("0 1");
  });

  test("cpuset, update and unified: the v2 files hold what was asked, events reads it back", () => {
    expect(result("cpuset_run")).toBe("1");
    expect(result("update_controllers")?.split(" ")).toEqual(expect.arrayContaining(["cpuset", "cpu", "memory", "pids", "hugetlb"]));
    expect(result("update_exit")).toBe("0");
    expect(result("update_files")).toBe(`${32 * 1024 * 1024} 5 0`);
    expect(result("update_json_exit")).toBe("0");
    expect(result("update_json_files")).toBe("20971520 4194304");
    expect(result("update_bad")).toBe('125 [contain] error: linux.resources.unified["nothere.max"]: the nothere controller is not available in the container\'s cgroup; give a file of the cgroup v2 interface (Documentation/admin-guide/cgroup-v2.rst) whose controller this machine has');
    expect(result("update_events")).toBe(`"limit":${32 * 1024 * 1024} "limit":5 `);
  });

  test("no cgroup or state is left after any run", () => {
    for (const run of ["basic", "devices", "oom", "cgroupfs", "oomkilled", "pids", "pids2", "memory4", "limits", "cpu", "node", "pause", "oci", "update"])
      expect({ run, left: result(`leftovers_${run}`) }).toEqual({ run, left: "cgroups=0 state=0" });
  });
});
