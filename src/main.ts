// The one entry point. `contain init` is the re-exec'd stage inside the new
// namespaces (see shared/DESIGN.md); everything else is the CLI.
import { cli } from "./cli/main.ts";
import { runInit } from "./init/init.ts";

const args = process.argv.slice(2);
if (args[0] === "init") runInit(Number(args[1]), Number(args[2]));
else process.exit(await cli(args));
