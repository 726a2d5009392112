import t from 'tap'
import { readFile } from 'node:fs/promises'
import { get_dmmf as getDmmf } from '@prisma/prisma-schema-wasm'
import pg from 'pg'
import { migrate } from '../../src/db/migrate.ts'
import { createTestDatabase } from '../helper.ts'

/**
 * The migrations are hand-written SQL (Prisma's migrate engine cannot run here), so this test
 * compares the migrated database with prisma/schema.prisma: tables, columns, types,
 * nullability, defaults' presence, enums, primary keys, unique and plain indexes, foreign keys.
 */
const SCALAR_TYPES: Record<string, string> = {
  String: 'text', Int: 'integer', BigInt: 'bigint', Boolean: 'boolean', Json: 'jsonb', DateTime: 'timestamp(3) without time zone', Decimal: 'numeric(65,30)'
}

interface Field {
  name: string;
  kind: string;
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUpdatedAt: boolean
  hasDefaultValue: boolean;
  nativeType: [string, string[]] | null;
  dbName?: string | null;
  relationFromFields?: string[];
  relationOnDelete?: string
}
interface Model { name: string; dbName: string | null; fields: Field[]; primaryKey: { fields: string[] } | null; uniqueFields: string[][] }

function expectedType (field: Field, enums: Map<string, string>): string {
  const base = field.kind === 'enum'
    ? enums.get(field.type)!
    : field.nativeType !== null
      ? nativeType(field.nativeType)
      : SCALAR_TYPES[field.type]!
  return field.isList ? `${base}[]` : base
}

function nativeType ([name, args]: [string, string[]]): string {
  switch (name) {
    case 'Uuid': return 'uuid'
    case 'Timestamptz': return `timestamp(${args[0] ?? 6}) with time zone`
    case 'Decimal': return `numeric(${args.join(',')})`
    case 'Char': return `character(${args[0]})`
    case 'Date': return 'date'
    default: throw new Error(`add native type ${name} to the drift test`)
  }
}

t.test('the migrated database matches prisma/schema.prisma', async (t) => {
  const database = await createTestDatabase()
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  t.teardown(async () => { await client.end(); await database.drop() })
  await migrate({
    exec: async (sql) => { await client.query(sql) },
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    close: async () => {}
  })

  const dmmf = JSON.parse(getDmmf(JSON.stringify({ prismaSchema: await readFile('prisma/schema.prisma', 'utf8') })))
  const enums = new Map<string, string>(dmmf.datamodel.enums.map((e: { name: string, dbName: string | null }) => [e.name, e.dbName ?? e.name]))
  const models: Model[] = dmmf.datamodel.models

  // Enums: same names, same values, same order.
  const { rows: enumRows } = await client.query(`SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`)
  const dbEnums = new Map(enumRows.map((r) => [r.name, r.labels]))
  for (const e of dmmf.datamodel.enums) t.same(dbEnums.get(e.dbName ?? e.name), e.values.map((v: { name: string }) => v.name), `enum ${e.name}`)
  t.equal(dbEnums.size, dmmf.datamodel.enums.length, 'no extra enums')

  const { rows: columns } = await client.query(`SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
      a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_value
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'`)
  const tables = new Map<string, Map<string, { type: string, not_null: boolean, default_value: string | null }>>()
  for (const column of columns) {
    if (!tables.has(column.table)) tables.set(column.table, new Map())
    tables.get(column.table)!.set(column.column, column)
  }
  t.same([...tables.keys()].sort(), models.map((m) => m.dbName ?? m.name).sort(), 'same tables')

  for (const model of models) {
    const table = tables.get(model.dbName ?? model.name)!
    const scalars = model.fields.filter((f) => f.kind !== 'object')
    t.same([...table.keys()].sort(), scalars.map((f) => f.dbName ?? f.name).sort(), `${model.name}: same columns`)
    for (const field of scalars) {
      const column = table.get(field.dbName ?? field.name)
      if (column === undefined) continue
      const type = field.isId && field.type === 'Int' && field.hasDefaultValue ? 'integer' : expectedType(field, enums)
      t.equal(column.type, type, `${model.name}.${field.name} type`)
      // Prisma creates scalar lists nullable; every other required field is NOT NULL.
      t.equal(column.not_null, field.isRequired && !field.isList, `${model.name}.${field.name} nullability`)
      const dbDefault = field.hasDefaultValue && !(field.type === 'String' && !field.isList && (field as any).default?.name === 'uuid')
      t.equal(column.default_value !== null, dbDefault, `${model.name}.${field.name} default`)
    }
  }

  const { rows: indexes } = await client.query(`SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
      array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
    FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'`)
  const columnOf = (model: Model, field: string) => { const f = model.fields.find((x) => x.name === field)!; return f.dbName ?? f.name }
  const expected = new Set<string>()
  for (const index of dmmf.datamodel.indexes) {
    const model = models.find((m) => m.name === index.model)!
    const kind = index.type === 'id' ? 'primary' : index.type === 'unique' ? 'unique' : 'index'
    expected.add(`${model.dbName ?? model.name}:${kind}:${index.fields.map((f: { name: string }) => columnOf(model, f.name)).join(',')}`)
  }
  const actual = new Set(indexes.map((i) => `${i.table}:${i.primary ? 'primary' : i.unique ? 'unique' : 'index'}:${i.columns.join(',')}`))
  t.same([...actual].sort(), [...expected].sort(), 'same primary keys, unique and plain indexes')

  const { rows: foreignKeys } = await client.query(`SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS target, c.confdeltype AS on_delete,
      array(SELECT a.attname FROM unnest(c.conkey) k(attnum) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)::text[] AS columns
    FROM pg_constraint c WHERE c.contype = 'f'`)
  const ON_DELETE: Record<string, string> = { Cascade: 'c', Restrict: 'r', SetNull: 'n', NoAction: 'a' }
  const expectedKeys = new Set<string>()
  for (const model of models) {
    for (const field of model.fields.filter((f) => f.kind === 'object' && (f.relationFromFields?.length ?? 0) > 0)) {
      const target = models.find((m) => m.name === field.type)!
      expectedKeys.add(`${model.dbName ?? model.name}>${target.dbName ?? target.name}:${field.relationFromFields!.map((f) => columnOf(model, f)).join(',')}:${ON_DELETE[field.relationOnDelete ?? 'NoAction']}`)
    }
  }
  t.same(new Set(foreignKeys.map((k) => `${k.table}>${k.target}:${k.columns.join(',')}:${k.on_delete}`)), expectedKeys, 'same foreign keys and delete rules')
})
