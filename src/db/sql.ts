/**
 * Plain SQL on the same connections Prisma uses, for the few hot reads where Prisma's per-query
 * cost (about half a millisecond of CPU, measured by npm run bench) would dominate. Statements
 * are named so PostgreSQL prepares them once per connection.
 */
export interface Statement { name: string, text: string }

export interface Sql {
  query<T>(statement: Statement, values: unknown[]): Promise<T[]>
}
