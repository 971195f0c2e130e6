/**
 * A port on which nothing listens (taken from the OS, then let go): what a stopped Postgres, a
 * refused webhook receiver or a down server looks like. Five test files wrote it themselves.
 */
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
