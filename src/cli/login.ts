// `contain login [-u USER] [-p PASS | --password-stdin] [SERVER]`, docker's:
// the credentials are tried against the registry, then kept in contain's
// own file (<data root>/auth.json, root's alone, docker's config.json
// format). SERVER defaults to Docker Hub.
import { defineCommand } from "citty";
import { readFileSync } from "node:fs";
import { ContainError, EXIT } from "../errors.ts";
import { store as storeCredential } from "../image/credentials.ts";
import { checkLogin } from "../image/registry.ts";
import { DOCKER_HUB, parseReference } from "../spec/reference.ts";
import { commonFlags, list, str, toCittyArgs, type FlagDefs } from "./args.ts";
import { commandLine } from "./context.ts";
import { print } from "./output.ts";
import { registryFlags } from "./pull.ts";

export const loginFlags = {
  username: { type: "string", alias: ["u"], description: "The user name", valueHint: "USER" },
  password: { type: "string", alias: ["p"], description: "The password (seen by other users in ps: prefer --password-stdin)", valueHint: "PASS" },
  "password-stdin": { type: "boolean", description: "Read the password from stdin" },
  "cert-dir": registryFlags["cert-dir"],
  "insecure-registry": registryFlags["insecure-registry"],
  "data-root": commonFlags["data-root"],
  debug: commonFlags.debug,
} satisfies FlagDefs;

// A server as docker takes it: host[:port], maybe with a scheme or a path.
export function serverOf(text: string | undefined): string {
  if (text === undefined) return DOCKER_HUB;
  const host = text.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (host === "index.docker.io" || host === "registry-1.docker.io") return DOCKER_HUB;
  // The registry part of a reference: host[:port] rules, checked there.
  const { registry } = parseReference(`${host}/x`);
  if (registry !== host) throw new ContainError(`${JSON.stringify(text)} is not a registry host[:port]`, "e.g. contain login registry.example:5000", EXIT.failed);
  return host;
}

export default defineCommand({
  meta: { name: "login", description: "Log in to a registry" },
  args: toCittyArgs(loginFlags, { name: "server", usage: "SERVER", description: "The registry, host[:port] (default: Docker Hub)" }),
  async run({ rawArgs }) {
    const { flags, positionals, host } = commandLine(loginFlags, rawArgs, "login");
    if (positionals.length > 1) throw new ContainError("login: name one registry", "e.g. contain login registry.example:5000", EXIT.failed);
    const server = serverOf(positionals[0]);
    const username = str(flags, "username");
    let password = str(flags, "password");
    if (flags["password-stdin"] === true) {
      if (password !== undefined) throw new ContainError("login: --password and --password-stdin: give one of them", "prefer --password-stdin", EXIT.failed);
      password = readFileSync(0, "utf8").replace(/\r?\n$/, "");
    }
    if (username === undefined || password === undefined || password === "")
      throw new ContainError("login: give a user name and a password", `e.g. echo "$PASSWORD" | contain login -u USER --password-stdin ${positionals[0] ?? ""}`.trimEnd(), EXIT.failed);
    host.requireRoot("login");
    const certsDir = str(flags, "cert-dir");
    await checkLogin(server, { username, password }, { ...(certsDir !== undefined && { certsDir }), insecure: list(flags, "insecure-registry") });
    storeCredential(server, username, password, host.authFile);
    print("Login Succeeded\n");
    return 0;
  },
});
