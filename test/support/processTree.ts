import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Linux's /proc, read directly: the processes under a root and the TCP ports they listen
 * on, to prove a stopped local stack left nothing behind. A process is known by its pid
 * and its start time, so a pid the kernel has handed to someone else is not mistaken for it.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Clock ticks after boot: with the pid, one process for good. */
  startTime: string;
  state: string;
  command: string;
}

function readStat(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command sits in parentheses and may hold spaces or ")": the fields follow the last ")".
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, state: fields[0] ?? '', ppid: Number(fields[1]), startTime: fields[19] ?? '', command };
  } catch {
    return undefined; // gone between listing and reading
  }
}

const allProcesses = (): ProcessInfo[] =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((info): info is ProcessInfo => info !== undefined);

/** The root and every process below it, now. */
export function processTree(rootPid: number): ProcessInfo[] {
  const all = allProcesses();
  const tree = all.filter((info) => info.pid === rootPid);
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i] as ProcessInfo;
    tree.push(...all.filter((info) => info.ppid === parent.pid && info.pid !== rootPid));
  }
  return tree;
}

/** The ones still running: same pid and start time, and not a zombie waiting to be reaped. */
export function stillRunning(processes: ProcessInfo[]): ProcessInfo[] {
  return processes.filter((before) => {
    const now = readStat(before.pid);
    return now !== undefined && now.startTime === before.startTime && now.state !== 'Z';
  });
}

/** The TCP ports (IPv4 and IPv6) these processes listen on. */
export function listeningPorts(pids: number[]): number[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match?.[1]) inodes.add(match[1]);
      } catch {
        // closed meanwhile
      }
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let rows: string[] = [];
    try {
      rows = readFileSync(table, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const row of rows) {
      const [, local, , state, , , , , , inode] = row.trim().split(/\s+/);
      // 0A is LISTEN.
      if (state === '0A' && inode !== undefined && inodes.has(inode) && local) {
        ports.add(parseInt(local.split(':')[1] ?? '0', 16));
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}
