import { existsSync } from "node:fs";
import { readdir, readFile, readlink } from "node:fs/promises";
import type { Socket } from "node:net";

/**
 * Whether the process at the other end of a loopback TCP connection belongs to one of
 * `sessions` (session ids: each command the host runs leads a session of its own, and every
 * process it starts stays in it unless it calls setsid, and then it dies with the command's
 * PID namespace anyway). A process cannot join another session, so a command in one sandbox
 * cannot pass for another sandbox's.
 *
 * Linux only: the connection's socket is found in /proc/net/tcp, then among the open files of
 * the sessions' processes. Returns undefined where there is no /proc to ask.
 */
export async function peerInSessions(socket: Socket, sessions: number[]): Promise<boolean | undefined> {
  if (!existsSync("/proc/net/tcp")) return undefined;
  const inode = await socketInode(socket);
  if (!inode || sessions.length === 0) return false;
  const wanted = new Set(sessions);
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp session.
    const session = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
    if (wanted.has(session) && (await holdsSocket(pid, inode))) return true;
  }
  return false;
}

/** The inode of the client end of `socket` (a connection accepted on 127.0.0.1). */
async function socketInode(socket: Socket): Promise<string | undefined> {
  const hexPort = (port: number | undefined) => (port ?? 0).toString(16).toUpperCase().padStart(4, "0");
  const client = `0100007F:${hexPort(socket.remotePort)}`;
  const server = `0100007F:${hexPort(socket.localPort)}`;
  for (const line of (await readFile("/proc/net/tcp", "utf8")).split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === client && fields[2] === server) return fields[9];
  }
  return undefined;
}

async function holdsSocket(pid: string, inode: string): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")) === `socket:[${inode}]`) return true;
  }
  return false;
}

/**
 * The processes other than this one that hold one of `links` open: /proc/<pid>/fd targets such
 * as `socket:[123]`, read from the command's own stdout and stderr when it started. Linux only:
 * undefined where there is no /proc to ask.
 */
export async function outputHolders(links: string[]): Promise<number[] | undefined> {
  if (!existsSync("/proc/self/fd")) return undefined;
  const wanted = new Set(links);
  const holders: number[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      if (wanted.has(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ""))) {
        holders.push(Number(pid));
        break;
      }
    }
  }
  return holders;
}
