// `contain logout [SERVER]`, docker's: the credentials contain keeps for it
// go (docker's own config.json is only ever read).
import { defineCommand } from "citty";
import { ContainError, EXIT } from "../errors.ts";
import { remove } from "../image/credentials.ts";
import { commonFlags, toCittyArgs, type FlagDefs } from "./args.ts";
import { serverOf } from "./login.ts";
import { commandLine } from "./context.ts";
import { print } from "./output.ts";

export const logoutFlags = { "data-root": commonFlags["data-root"], debug: commonFlags.debug } satisfies FlagDefs;

export default defineCommand({
  meta: { name: "logout", description: "Log out from a registry" },
  args: toCittyArgs(logoutFlags, { name: "server", usage: "SERVER", description: "The registry, host[:port] (default: Docker Hub)" }),
  run({ rawArgs }) {
    const { positionals, host } = commandLine(logoutFlags, rawArgs, "logout");
    if (positionals.length > 1) throw new ContainError("logout: name one registry", "e.g. contain logout registry.example:5000", EXIT.failed);
    const server = serverOf(positionals[0]);
    host.requireRoot("logout");
    // docker's words, whether or not there was something to remove.
    print(`Removing login credentials for ${server}\n`);
    if (!remove(server, host.authFile)) print(`Not logged in to ${server}\n`);
    return 0;
  },
});
