/** Creates the database when missing and applies pending migrations; returns the names applied. */
export function migrate(
  databaseUrl: string,
  options?: { log?: (line: string) => void; migrationsDir?: string },
): Promise<string[]>;
export const DEFAULT_DATABASE_URL: string;
