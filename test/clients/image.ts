// The image every client test runs: the busybox root contain embeds
// (rootfs/rootfs.tar.gz, made from Debian's busybox-static by rootfs/build.ts),
// built here, never pulled. podman imports the tarball as it is; containerd
// gets it as the one layer of an OCI image layout archive.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { buildRootfsArchive, ROOTFS } from "../../build.ts";

export const IMAGE = "localhost/busybox:clients";

// The gzipped tarball of the busybox root.
export function busyboxTarball(): string {
  if (!existsSync(ROOTFS)) buildRootfsArchive();
  return ROOTFS;
}

const sha256 = (data: Uint8Array | string) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

// An OCI image layout (image-spec's image-layout.md) of the busybox root as a
// tar archive at `out`, for `ctr images import`: oci-layout, index.json, and
// under blobs/sha256 the manifest, the config and the layer. `name` goes in
// the index as containerd's image name annotation and the OCI ref name; `cmd`
// is the image's command.
export function ociArchive(dir: string, out: string, name = IMAGE, cmd = ["/bin/sh"]): void {
  const layer = readFileSync(busyboxTarball());
  mkdirSync(`${dir}/blobs/sha256`, { recursive: true });
  const blob = (data: Uint8Array | string, mediaType: string) => {
    const hex = sha256(data);
    writeFileSync(`${dir}/blobs/sha256/${hex}`, data);
    return { mediaType, digest: `sha256:${hex}`, size: typeof data === "string" ? Buffer.byteLength(data) : data.length };
  };
  const config = JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: cmd },
    // diff_ids name the uncompressed layer.
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256(Bun.gunzipSync(layer))}`] },
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: blob(config, "application/vnd.oci.image.config.v1+json"),
    layers: [blob(layer, "application/vnd.oci.image.layer.v1.tar+gzip")],
  });
  const ref = name.split(":").pop() ?? "latest";
  const index = {
    schemaVersion: 2,
    manifests: [{ ...blob(manifest, "application/vnd.oci.image.manifest.v1+json"), annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": ref } }],
  };
  writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(`${dir}/index.json`, JSON.stringify(index));
  const r = Bun.spawnSync(["tar", "--format=ustar", "-C", dir, "-cf", out, "oci-layout", "index.json", "blobs"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tar of the OCI layout failed: ${r.stderr.toString().trim()}`);
}
