// docker's default seccomp profile, so a container is refused exactly what
// docker refuses it: default.json is moby/profiles' seccomp/default.json
// v0.2.3 (Apache-2.0, as vendored by github.com/moby/moby at b985e231),
// byte for byte, so an update is a file copy and a diff.
import DOCKER_DEFAULT from "./default.json";
import { parseSeccompProfile, type SeccompProfile } from "./profile.ts";

export const DEFAULT_SECCOMP_PROFILE: SeccompProfile = parseSeccompProfile(DOCKER_DEFAULT, "docker's default seccomp profile");
