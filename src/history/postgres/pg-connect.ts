import pg from 'pg';
import { UserError } from '../../cli/user-error.js';

/**
 * A connected client handed to `setUp` (schema checks, locks, first reads), closed again
 * when that fails, so no command leaves a connection behind on a bad database. A server
 * that cannot be reached is a UserError naming `where` (the URL without its password).
 */
export async function connectPg<T>(config: pg.ClientConfig, where: string, setUp: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  try {
    await client.connect();
  } catch (error) {
    throw new UserError(`cannot connect to ${where}: ${(error as Error).message}`);
  }
  client.on('error', () => undefined); // a dropped connection fails the next query, which says so
  try {
    return await setUp(client);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}
