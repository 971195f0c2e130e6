/**
 * A small TCP proxy of our own (there is no toxiproxy or Docker here) put in front of Redis or
 * Postgres, to play the network faults a process cannot tell from a real outage:
 * - `latency`: every chunk, both ways, is held back for `latencyMs`;
 * - `blackhole`: connections stay open but nothing gets through in either direction, and new
 *   connections are accepted and then starved (a cable pulled, no reset). Nothing is lost
 *   either: what was sent meanwhile is held and delivered when the blackhole lifts, the way TCP
 *   retransmits once a path heals (dropping it would desynchronise request/reply protocols
 *   such as Redis', which no real network does to an open connection);
 * - `reset()`: every open connection is torn down with a TCP RST.
 */
import { connect, createServer, type Socket } from 'node:net';

export type ProxyMode = { type: 'pass' } | { type: 'latency'; latencyMs: number } | { type: 'blackhole' };

export interface TcpProxy {
  readonly port: number;
  /** `target` URL with its host and port replaced by the proxy's. */
  urlFor(targetUrl: string): string;
  setMode(mode: ProxyMode): void;
  reset(): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = { type: 'pass' };
  const pairs = new Set<[Socket, Socket]>();
  /** Chunks held back by the blackhole, in order, per direction; flushed when it lifts. */
  const held = new Map<Socket, Buffer[]>();
  const flush = () => {
    for (const [to, chunks] of held) {
      if (!to.destroyed) for (const chunk of chunks) to.write(chunk);
    }
    held.clear();
  };

  const pipe = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => {
      if (mode.type === 'blackhole') {
        const chunks = held.get(to);
        if (chunks) chunks.push(chunk);
        else held.set(to, [chunk]);
        return;
      }
      if (mode.type === 'latency') {
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        }, mode.latencyMs);
        return;
      }
      if (!to.destroyed) to.write(chunk);
    });
    from.on('end', () => to.end());
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };

  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forget = () => pairs.delete(pair);
    client.on('close', forget);
    upstream.on('close', forget);
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const port = address.port;

  return {
    port,
    urlFor(targetUrl) {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    setMode(next) {
      mode = next;
      if (next.type !== 'blackhole') flush();
    },
    reset() {
      held.clear();
      for (const [client, upstream] of pairs) {
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
    },
    connections: () => pairs.size,
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
