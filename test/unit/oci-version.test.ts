// The runtime-spec versions specFromConfig reads (ociVersionMin and
// ociVersionMax of `contain features`), and the fields of the newest of them.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fieldStatus, specFromConfig } from "../../src/spec/oci.ts";
import { OCI_VERSION_MAX, OCI_VERSION_MIN } from "../../src/spec/version.ts";
import { refusal } from "./fixtures.ts";

const host = { cpus: 2 };
const sample = () => JSON.parse(readFileSync(`${import.meta.dir}/oci-samples/ctr-memory-limit.json`, "utf8"));
const withConfig = (edit: (c: ReturnType<typeof sample>) => void) => {
  const c = sample();
  edit(c);
  return c;
};

describe("ociVersion", () => {
  const accepts = (v: unknown) => specFromConfig(withConfig((c) => (c.ociVersion = v)), "/b", host).ociVersion;
  const refuses = (v: unknown) => refusal(() => accepts(v)).message;

  test("ociVersionMin and ociVersionMax are accepted, and every 1.0 to 1.2 release between (the callers' 1.0.2-dev too)", () => {
    for (const v of [OCI_VERSION_MIN, OCI_VERSION_MAX, "1.0.2-dev", "1.1.0", "1.1.0+dev", "1.2.0-rc.1", "1.2.9"]) expect(accepts(v)).toBe(v);
  });

  test("a release outside the range is refused by name, with the range", () => {
    expect(refuses("1.3.0")).toBe("ociVersion: 1.3.0 is newer than the runtime-spec contain implements (1.0.0 to 1.2.1)");
    expect(refuses("2.0.0")).toStartWith("ociVersion: 2.0.0 is newer");
    expect(refuses("1.3.0-rc.1")).toStartWith("ociVersion: 1.3.0-rc.1 is newer");
    expect(refuses("1.0.0-rc5")).toBe("ociVersion: 1.0.0-rc5 is older than the runtime-spec contain implements (1.0.0 to 1.2.1)");
    expect(refuses("0.6.0")).toStartWith("ociVersion: 0.6.0 is older");
  });

  test("a missing or malformed version is refused before the fields are read", () => {
    expect(refuses(undefined)).toBe("ociVersion: missing");
    expect(refuses("1.2")).toBe('ociVersion: "1.2" is not a SemVer version');
    expect(refuses(1.2)).toBe("ociVersion: 1.2 is not a SemVer version");
    // A newer spec's field is not taken for a typo.
    const newer = withConfig((c) => {
      c.ociVersion = "1.3.0";
      c.linux.memoryPolicy = { mode: "MPOL_BIND" };
    });
    expect(refusal(() => specFromConfig(newer, "/b", host)).message).toStartWith("ociVersion: 1.3.0 is newer");
  });

  test("every field of ociVersionMax's config.json is implemented or refused by name, none unknown", () => {
    const fields = readFileSync(`${import.meta.dir}/runtime-spec-1.2.1-fields.txt`, "utf8").split("\n").filter((l) => l && !l.startsWith("#"));
    expect(fields.length).toBeGreaterThan(200);
    expect(fields.filter((f) => fieldStatus(f) === "unknown")).toEqual([]);
    expect(fieldStatus("process.execCPUAffinity")).toBe("not yet"); // new in 1.2.1
    expect(fieldStatus("linux.resources.memory.limit")).toBe("implemented");
    expect(fieldStatus("linux.resources.memory.limits")).toBe("unknown");
  });
});
