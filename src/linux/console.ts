// runc's --console-socket: the container's pty master, handed to the caller
// (conmon, containerd's shim) over a unix socket as SCM_RIGHTS, the way runc
// sends it, with the terminal's name as the message.
import { close } from "./process.ts";
import { connectUnix, sendFds } from "./unix-socket.ts";

export function sendConsole(socketPath: string, master: number): void {
  const fd = connectUnix(socketPath);
  try {
    sendFds(fd, "/dev/ptmx", [master]);
  } finally {
    close(fd);
  }
}
