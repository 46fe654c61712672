// The /etc files every container gets of its own (docker's set): written by
// the runtime into the container's state directory and bind-mounted over the
// root filesystem's, which stay untouched.
import { hostsFile, resolvConf } from "./dns.ts";

export const ETC_FILES = ["hostname", "hosts", "resolv.conf"] as const;

export interface EtcFacts {
  hostname: string;
  name?: string; // --name, beside the hostname in its own /etc/hosts
  address?: string; // eth0's address, on a bridge network
  extraHosts: readonly { name: string; address: string }[]; // --add-host
  dns: readonly string[]; // --dns
  hostNetwork: boolean;
  hostResolvConf: string; // the host's /etc/resolv.conf, "" if none
  upstreamResolvConf?: string; // systemd-resolved's upstream list, if any
}

export function etcFiles(f: EtcFacts): { files: { name: (typeof ETC_FILES)[number]; content: string }[]; note?: string } {
  const resolv = resolvConf({ host: f.hostResolvConf, upstream: f.upstreamResolvConf, dns: f.dns, hostNetwork: f.hostNetwork });
  return {
    files: [
      { name: "hostname", content: `${f.hostname}\n` },
      { name: "hosts", content: hostsFile({ names: [f.hostname, ...(f.name ? [f.name] : [])], address: f.address, extraHosts: f.extraHosts }) },
      { name: "resolv.conf", content: resolv.text },
    ],
    ...(resolv.note && { note: resolv.note }),
  };
}
