/** The little a migrator needs from a database: run a script, run a query, hold a session. */
export interface SqlRunner {
  exec(sql: string): Promise<void>
  query<T>(sql: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}
