/**
 * What a server process uses, read from Linux's `/proc`: CPU time over all its threads, its
 * resident memory, now and at its peak, and the ports its process group listens on.  The Worker's code runs in `workerd`, a process of
 * the group that `wrangler dev` leads.
 *
 * @module
 */

/** The fields of `/proc/<pid>/stat` after the command name (which may hold spaces). */
async function statFields(pid: number): Promise<string[]> {
  const text = await Deno.readTextFile(`/proc/${pid}/stat`);
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** The processes of process group `group` whose command is `command`. */
export async function processesNamed(group: number, command: string): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const comm = (await Deno.readTextFile(`/proc/${pid}/comm`)).trim();
      // Field 5 of stat is the process group; 3 once the name and state are cut off.
      if (comm === command && Number((await statFields(pid))[2]) === group) found.push(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** CPU time the process has used, in milliseconds, summed over its threads (`schedstat`). */
export async function cpuMs(pid: number): Promise<number> {
  let nanoseconds = 0;
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const text = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/schedstat`);
      nanoseconds += Number(text.split(" ")[0]);
    } catch {
      // the thread ended
    }
  }
  return nanoseconds / 1e6;
}

/** A `/proc/<pid>/status` field in MiB: `VmRSS` (resident now) or `VmHWM` (peak). */
export async function memoryMiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  if (!match) throw new Error(`no ${field} for process ${pid}`);
  return Number(match[1]) / 1024;
}

/** Resets the peak resident memory (`VmHWM`) to the current one. */
export async function resetPeakMemory(pid: number): Promise<void> {
  await Deno.writeTextFile(`/proc/${pid}/clear_refs`, "5");
}

/** The processes of process group `group`, whatever their command. */
export async function processesOf(group: number): Promise<number[]> {
  const found: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      if (Number((await statFields(pid))[2]) === group) found.push(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * The TCP ports the processes of process group `group` listen on, read from `/proc/net/tcp`
 * and `tcp6` (state 0A, LISTEN) and the sockets among the processes' open files.
 */
export async function listeningPorts(group: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const pid of await processesOf(group)) {
    try {
      for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
        const link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
        const socket = /^socket:\[(\d+)\]$/.exec(link);
        if (socket) inodes.add(socket[1]);
      }
    } catch {
      // the process ended while we looked
    }
  }
  const ports = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await Deno.readTextFile(table).catch(() => "")).split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // local_address is fields[1] (hex ip:port), st fields[3], inode fields[9]
      if (fields.length > 9 && fields[3] === "0A" && inodes.has(fields[9])) {
        ports.add(parseInt(fields[1].split(":")[1], 16));
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}
