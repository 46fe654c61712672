// An OCI bundle (runtime.md): its config.json as the Spec, checked against
// this host before anything is made.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { ContainError, SpecError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { networkFromFlags, type NetworkRequest } from "../spec/network.ts";
import { specFromConfig } from "../spec/oci.ts";
import type { Spec } from "../spec/schema.ts";
import { checkHost } from "./host-checks.ts";

// runc's rule for container IDs.
const ID_RE = /^[\w+.-]+$/;

export function checkOciId(id: string | undefined): string {
  if (!id) throw new SpecError("container id", "cannot be empty", "give the container's ID, e.g. contain create --bundle DIR mycontainer");
  if (!ID_RE.test(id) || id === "." || id === "..") throw new SpecError("container id", `${JSON.stringify(id)}: invalid container ID format`, "use letters, digits and _ + - .");
  return id;
}

// An OCI caller brings its network namespace (or takes the host's): contain
// makes no bridge for it.
const ociNetwork = (spec: Spec): NetworkRequest => networkFromFlags({ net: spec.linux.namespaces.some((n) => n.type === "network") ? "none" : "host" });

// config.json as the Spec, its schema and content checked (specFromConfig),
// then against this host (host-checks.ts).
export function readBundle(dir: string, log: Logger): { bundle: string; spec: Spec; network: NetworkRequest } {
  const bundle = resolve(dir);
  const file = `${bundle}/config.json`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ContainError(`open ${file}: ${code === "ENOENT" ? "no such file or directory" : code}`, "give the bundle's directory with --bundle (it holds config.json; contain spec makes one)");
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    throw new SpecError("config.json", `is not valid JSON: ${(err as Error).message}`, `fix ${file}`);
  }
  const spec = specFromConfig(config, bundle, { cpus: availableParallelism() });
  const network = ociNetwork(spec);
  checkHost({ spec, network, log });
  return { bundle, spec, network };
}
