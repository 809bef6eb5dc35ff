/**
 * Ports for the tests that restart a local stack on the same PORT. A port from listen(0) comes
 * from the kernel's ephemeral range, which it also hands out as the source port of outgoing
 * connections: between a stop and the restart, another test's connection could take it
 * (EADDRINUSE). These come from below that range, where only an explicit listen lands.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;

/** Where the kernel's ephemeral ports start (Linux's default if it cannot be read). */
function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768;
  }
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A free PORT whose PORT+1 (the emulator's) is free too, outside the ephemeral range. */
export async function freePortPair(): Promise<number> {
  const below = Math.max(LOWEST + 2, ephemeralStart()) - 1;
  for (;;) {
    const port = LOWEST + Math.floor(Math.random() * (below - LOWEST));
    if ((await isFree(port)) && (await isFree(port + 1))) return port;
  }
}
