/**
 * Open TCP connections to a local port owned by this process, read from
 * Linux's socket table. For uWebSockets.js, which tells JavaScript nothing
 * about connections that carry no request (opened, idle keep-alive, closed):
 * the kernel knows them all. Read at scrape time only; it costs a readlink per
 * open file descriptor and one pass over the namespace's TCP table.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TABLES = ['/proc/self/net/tcp', '/proc/self/net/tcp6'];
const LISTEN_STATE = '0A';

/** Null where there is no /proc to read (not Linux, or a sandbox without it). */
export function openConnectionsOnPort(port: number): number | null {
  const inodes = socketInodes();
  if (inodes === null) return null;
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let open = 0;
  for (const table of TABLES) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...", one socket per line after the header.
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const local = fields[1]!;
      if (fields[3] === LISTEN_STATE || local.slice(local.lastIndexOf(':') + 1) !== portHex) continue;
      if (inodes.has(fields[9]!)) open++;
    }
  }
  return open;
}

function socketInodes(): Set<string> | null {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return null;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // Closed while we looked.
    }
  }
  return inodes;
}
