// runc's device rules for every container, as an OCI linux.resources.devices
// list: the spec's deny-all, then libcontainer/specconv's AllowedDevices.
import type { DeviceRule } from "../src/linux/cgroups/device-filter.ts";

export const RUNC_DEFAULT_DEVICES: DeviceRule[] = [
  { allow: false, access: "rwm" },
  { allow: true, type: "c", major: null, minor: null, access: "m" },
  { allow: true, type: "b", major: null, minor: null, access: "m" },
  { allow: true, type: "c", major: 1, minor: 3, access: "rwm" }, // null
  { allow: true, type: "c", major: 1, minor: 8, access: "rwm" }, // random
  { allow: true, type: "c", major: 1, minor: 7, access: "rwm" }, // full
  { allow: true, type: "c", major: 5, minor: 0, access: "rwm" }, // tty
  { allow: true, type: "c", major: 1, minor: 5, access: "rwm" }, // zero
  { allow: true, type: "c", major: 1, minor: 9, access: "rwm" }, // urandom
  { allow: true, type: "c", major: 136, minor: null, access: "rwm" }, // pts/*
  { allow: true, type: "c", major: 5, minor: 2, access: "rwm" }, // ptmx
  { allow: true, type: "c", major: 10, minor: 200, access: "rwm" }, // net/tun
];
