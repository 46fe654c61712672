// `contain port CONTAINER [PORT[/PROTO]]`, docker's: the host addresses a
// running container's ports are published on, `80/tcp -> 0.0.0.0:49153` a
// line; with a port, only its addresses, and an error when it has none.
import { defineCommand } from "citty";
import { ContainError, EXIT, SpecError } from "../errors.ts";
import { statusOf } from "../runtime/status.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { sweptStore } from "./containers.ts";
import { commandLine, containerArg } from "./context.ts";
import { portBindings, portsOf } from "./docker-fields.ts";
import { print } from "./output.ts";

export const portFlags = { ...commonFlags } satisfies FlagDefs;

// PORT or PORT/PROTO, as NetworkSettings.Ports names it: "80/tcp".
function portKey(text: string): string {
  const [port = "", proto = "tcp", ...rest] = text.split("/");
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n < 1 || n > 65535 || rest.length || (proto !== "tcp" && proto !== "udp"))
    throw new ContainError(`invalid port ${JSON.stringify(text)}`, "give PORT or PORT/PROTO, e.g. 80 or 53/udp", EXIT.failed);
  return `${n}/${proto}`;
}

// Go's sortorder.NaturalLess, which docker sorts the lines with: runs of
// digits compare as numbers.
function naturalLess(a: string, b: string): number {
  const chunks = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const [x, y] = [chunks(a), chunks(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p = "", q = ""] = [x[i], y[i]];
    if (p === q) continue;
    const numeric = /^\d/.test(p) && /^\d/.test(q);
    return numeric ? Number(p) - Number(q) || p.length - q.length : p < q ? -1 : 1;
  }
  return x.length - y.length;
}

export default defineCommand({
  meta: { name: "port", description: "List a container's published ports, or the host addresses of one of them" },
  args: toCittyArgs(
    portFlags,
    containerArg,
    { name: "port", usage: "PORT[/PROTO]", description: "A container port, e.g. 80 or 53/udp (default protocol: tcp)" },
  ),
  run({ rawArgs }) {
    const c = commandLine(portFlags, rawArgs, "port");
    const { positionals } = c;
    if (positionals.length < 1 || positionals.length > 2)
      throw new SpecError("container", positionals.length ? `takes a container and at most one port, not ${positionals.length} arguments` : "missing", "e.g. contain port web 80/tcp");
    const [ref = "", portText] = positionals;
    const wanted = portText === undefined ? undefined : portKey(portText);
    const store = sweptStore(c);
    const { state } = store.find(ref);
    const bindings = portBindings(portsOf(state, statusOf(store, state)));
    const address = (b: { HostIp: string; HostPort: string }) => `${b.HostIp}:${b.HostPort}`;
    let lines: string[];
    if (wanted !== undefined) {
      const found = bindings.get(wanted);
      if (!found) throw new ContainError(`no public port '${wanted}' published for ${ref}`, `see 'contain port ${ref}' for the ones it has`, EXIT.failed);
      lines = found.map(address);
    } else lines = [...bindings].flatMap(([key, list]) => list.map((b) => `${key} -> ${address(b)}`));
    print(lines.sort(naturalLess).map((l) => `${l}\n`).join(""));
    return 0;
  },
});
