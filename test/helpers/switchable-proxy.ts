/**
 * A TCP forwarder in front of a real server (Redis, Postgres) that a test can switch off and on
 * again on the same port: off closes the listener and every open connection, so that the client
 * sees exactly what a stopped server gives (ECONNREFUSED on every reconnection), without
 * stopping the server that other tests share.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface SwitchableProxy {
  readonly port: number;
  /** `target` URL with its host and port replaced by the proxy's (user, password, path kept). */
  urlFor(targetUrl: string): string;
  off(): Promise<void>;
  on(): Promise<void>;
  close(): Promise<void>;
}

export async function startSwitchableProxy(targetUrl: string, defaultPort: number): Promise<SwitchableProxy> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || defaultPort);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    const next = createServer((client) => {
      const upstream = connect(targetPort, target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once('error', reject);
      next.listen(port, '127.0.0.1', () => resolve());
    });
    const address = next.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    port = address.port;
    server = next;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    urlFor(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    off: stop,
    async on() {
      if (!server) await listen();
    },
    close: stop,
  };
}
