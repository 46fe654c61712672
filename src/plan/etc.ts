// The /etc files every container gets of its own (docker's set): written by
// the runtime into the container's state directory and bind-mounted over the
// root filesystem's, which stay untouched.
export interface EtcFile {
  name: "hostname" | "hosts" | "resolv.conf";
  content: string;
}

export interface EtcFacts {
  hostname: string;
  address?: string; // the container's own address, when it has a network
  hostResolvConf: string; // the host's /etc/resolv.conf, "" if none
}

export function hostsFile(facts: EtcFacts): string {
  return [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "ff00::0\tip6-mcastprefix",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
    // Without an address of its own, the name resolves to loopback (Debian's
    // 127.0.1.1 convention), so `hostname -i` and tools that look it up work.
    `${facts.address ?? "127.0.1.1"}\t${facts.hostname}`,
    "",
  ].join("\n");
}

export function etcFiles(facts: EtcFacts): EtcFile[] {
  return [
    { name: "hostname", content: `${facts.hostname}\n` },
    { name: "hosts", content: hostsFile(facts) },
    { name: "resolv.conf", content: facts.hostResolvConf },
  ];
}
