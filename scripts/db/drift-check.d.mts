/** SQL that a new migration would need for prisma/migrations to match schema.prisma; '' when none. */
export function schemaDrift(options?: { databaseUrl?: string; migrationsDir?: string }): Promise<string>;
