/** The SQL the index runs: raw, parameterised statements ($1, $2 …) through Prisma's driver adapters. */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  execute(text: string, params?: readonly unknown[]): Promise<number>;
  /** Runs fn in one transaction; everything fn does through `tx` commits or rolls back together. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}
