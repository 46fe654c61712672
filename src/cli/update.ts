// `contain update [--resources FILE|-] [--memory N] ... ID`: runc's update
// (containerd's shim sends linux.resources on stdin: --resources -), with
// docker's --cpus beside runc's flags.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { SpecError } from "../errors.ts";
import type { Resources } from "../plan/cgroup.ts";
import { updateContainer } from "../runtime/update.ts";
import { resourcesFromJson } from "../spec/oci.ts";
import { validateResources } from "../spec/schema.ts";
import { cpusToQuota, parseInteger, parseNumber, parseSize } from "../spec/units.ts";
import { commonFlags, str, toCittyArgs, type FlagDefs, type FlagValues } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { namedContainer } from "./context.ts";

export const updateFlags = {
  resources: { type: "string", alias: ["r"], description: "Read linux.resources JSON (as config.json holds it) from FILE, or - for stdin; then give no other limit", valueHint: "FILE" },
  memory: { type: "string", alias: ["m"], description: "Memory limit: bytes or K/M/G (-1: none)", valueHint: "SIZE" },
  "memory-swap": { type: "string", description: "Memory plus swap (-1: no limit on swap)", valueHint: "SIZE" },
  "memory-reservation": { type: "string", description: "Soft memory limit (v1 soft_limit_in_bytes, v2 memory.low)", valueHint: "SIZE" },
  "cpu-shares": { type: "string", alias: ["c", "cpu-share"], description: "Relative CPU weight, 2-262144 (cpu.weight on cgroup v2)", valueHint: "N" },
  "cpu-quota": { type: "string", description: "CFS quota in microseconds per period (-1: no quota)", valueHint: "US" },
  "cpu-period": { type: "string", description: "CFS period in microseconds", valueHint: "US" },
  cpus: { type: "string", description: "CPU limit as a number of CPUs, as docker's --cpus", valueHint: "N" },
  "cpuset-cpus": { type: "string", description: "The CPUs the container may run on, e.g. 0-3,7", valueHint: "LIST" },
  "cpuset-mems": { type: "string", description: "The memory nodes it may allocate from, e.g. 0", valueHint: "LIST" },
  "pids-limit": { type: "string", description: "Maximum number of processes (0 or -1: no limit)", valueHint: "N" },
  ...commonFlags,
} satisfies FlagDefs;

const LIMIT_FLAGS = Object.keys(updateFlags).filter((k) => k !== "resources" && !(k in commonFlags));

const size = (flag: string, value: string) => (value === "-1" ? -1 : parseSize(flag, value));

// The flags as a linux.resources change, each error naming its flag.
function resourcesFromFlags(flags: FlagValues): Resources {
  const memory: NonNullable<Resources["memory"]> = {};
  const cpu: NonNullable<Resources["cpu"]> = {};
  const r: Resources = {};
  const given = (name: string) => str(flags, name);
  if (given("memory") !== undefined) memory.limit = size("--memory", given("memory") ?? "");
  if (given("memory-swap") !== undefined) memory.swap = size("--memory-swap", given("memory-swap") ?? "");
  if (given("memory-reservation") !== undefined) memory.reservation = size("--memory-reservation", given("memory-reservation") ?? "");
  const quota = given("cpu-quota");
  const cpus = given("cpus");
  if (quota !== undefined && cpus !== undefined) throw new SpecError("--cpus and --cpu-quota", "both set the CPU quota", "use one of them, e.g. --cpus 0.5");
  if (cpus !== undefined) Object.assign(cpu, cpusToQuota("--cpus", parseNumber("--cpus", cpus, "e.g. --cpus 0.5")));
  if (quota !== undefined) cpu.quota = parseInteger("--cpu-quota", quota, "microseconds per period, e.g. --cpu-quota 50000, or -1 for no quota");
  const period = given("cpu-period");
  if (period !== undefined) cpu.period = parseInteger("--cpu-period", period, "microseconds, e.g. --cpu-period 100000");
  const shares = given("cpu-shares");
  if (shares !== undefined) cpu.shares = parseInteger("--cpu-shares", shares, "e.g. --cpu-shares 512");
  if (given("cpuset-cpus") !== undefined) cpu.cpus = given("cpuset-cpus");
  if (given("cpuset-mems") !== undefined) cpu.mems = given("cpuset-mems");
  const pids = given("pids-limit");
  if (pids !== undefined) {
    const limit = parseInteger("--pids-limit", pids, "a number of processes, e.g. --pids-limit 64, or -1 for no limit");
    r.pids = { limit: limit === 0 ? -1 : limit };
  }
  if (Object.keys(memory).length) r.memory = memory;
  if (Object.keys(cpu).length) r.cpu = cpu;
  const typed: Record<string, string> = { "linux.resources.memory.reservation": "--memory-reservation", "linux.resources.pids.limit": "--pids-limit" };
  typed["linux.resources.cpu.quota"] = cpus !== undefined ? "--cpus" : "--cpu-quota";
  return validateResources(r, { cpus: availableParallelism() }, typed);
}

function resourcesFromFile(file: string): Resources {
  const name = file === "-" ? "stdin" : file;
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new SpecError("--resources", `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, "give a JSON file of linux.resources, or - for stdin");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SpecError("--resources", `${name} is not valid JSON: ${(err as Error).message}`, 'e.g. {"memory": {"limit": 67108864}}');
  }
  return resourcesFromJson(json, { cpus: availableParallelism() });
}

export default defineCommand({
  meta: { name: "update", description: "Change the resource limits of a running container (runc's update)" },
  args: toCittyArgs(updateFlags, { name: "id", usage: "CONTAINER", description: "The container (an ID, or a name)", required: true }),
  run({ rawArgs }) {
    const c = namedContainer(updateFlags, rawArgs, "update");
    const { flags, ref } = c;
    const file = str(flags, "resources");
    const limits = LIMIT_FLAGS.filter((k) => flags[k] !== undefined);
    if (file !== undefined && limits.length) throw new SpecError(`--resources and --${limits[0]}`, "both give limits", "put every limit in the resources file, or give flags only");
    if (file === undefined && !limits.length) throw new SpecError("update", "no limit given", `e.g. contain update --memory 128M ${ref}, or --resources FILE`);
    const change = file === undefined ? resourcesFromFlags(flags) : resourcesFromFile(file);
    updateContainer(sweptStore(c), ref, change, c.log);
    return 0;
  },
});
