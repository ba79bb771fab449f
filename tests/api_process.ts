/**
 * What a server process uses, read from Linux's `/proc`: CPU time over all its threads, and
 * its resident memory, now and at its peak.  The Worker's code runs in `workerd`, a process of
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
