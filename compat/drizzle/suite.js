// Drizzle ORM (node-postgres driver) used as its users do: typed table definitions, insert
// with `default` and returning, onConflictDoNothing / onConflictDoUpdate, transactions with
// rollback, relational selects. drizzle-kit (migrations) is not used: tables are created
// with the SQL drizzle-kit would generate.
const { Pool } = require('pg');
const { drizzle } = require('drizzle-orm/node-postgres');
const { pgTable, serial, text, varchar, integer, numeric, boolean, timestamp, jsonb, uuid } = require('drizzle-orm/pg-core');
const { eq, sql } = require('drizzle-orm');

const E = process.env;
const emit = (scenario, ok, message = '') => console.log(JSON.stringify({ scenario, ok, message: String(message).slice(0, 400) }));
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const authors = pgTable('dz_author', { id: serial('id').primaryKey(), name: varchar('name', { length: 50 }).notNull().unique() });
const books = pgTable('dz_book', {
  id: serial('id').primaryKey(), authorId: integer('author_id').notNull().references(() => authors.id),
  title: text('title'), price: numeric('price', { precision: 10, scale: 2 }), done: boolean('done').default(false),
  published: timestamp('published', { withTimezone: true }), meta: jsonb('meta'), ref: uuid('ref'),
});

const pool = new Pool({ host: E.PGHOST, port: +E.PGPORT, user: E.PGUSER, password: E.PGPASSWORD, database: E.PGDATABASE, max: 2 });
const db = drizzle(pool);

const scenarios = {
  async connect() { const r = await db.execute(sql`select current_database() as d`); assert(r.rows[0].d === E.PGDATABASE, JSON.stringify(r.rows)); },
  async ddl() {
    await db.execute(sql`DROP TABLE IF EXISTS dz_book`);
    await db.execute(sql`DROP TABLE IF EXISTS dz_author`);
    await db.execute(sql`CREATE TABLE "dz_author" ("id" serial PRIMARY KEY NOT NULL, "name" varchar(50) NOT NULL, CONSTRAINT "dz_author_name_unique" UNIQUE("name"))`);
    await db.execute(sql`CREATE TABLE "dz_book" ("id" serial PRIMARY KEY NOT NULL, "author_id" integer NOT NULL, "title" text, "price" numeric(10, 2), "done" boolean DEFAULT false, "published" timestamp with time zone, "meta" jsonb, "ref" uuid)`);
    await db.execute(sql`ALTER TABLE "dz_book" ADD CONSTRAINT "dz_book_author_id_dz_author_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."dz_author"("id") ON DELETE no action ON UPDATE no action`);
  },
  async crud_text() {
    const [a] = await db.insert(authors).values({ name: 'ann' }).returning();
    assert(a.id === 1, JSON.stringify(a));
    const [b] = await db.insert(books).values({ authorId: a.id, title: 't', price: '12.30', published: new Date('2024-02-29T07:44:15Z'), meta: { b: 2, a: 1 }, ref: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' }).returning();
    const errs = [];
    if (b.price !== '12.30') errs.push(`price ${b.price}`);
    if (!(b.published instanceof Date) || b.published.toISOString() !== '2024-02-29T07:44:15.000Z') errs.push(`published ${b.published}`);
    if (JSON.stringify(b.meta) !== '{"a":1,"b":2}') errs.push(`meta ${JSON.stringify(b.meta)}`);
    if (b.done !== false || b.ref !== 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11') errs.push(`done/ref ${b.done} ${b.ref}`);
    const u = await db.update(books).set({ done: true }).where(eq(books.authorId, a.id)).returning({ id: books.id });
    if (u.length !== 1) errs.push(`update ${u.length}`);
    const j = await db.select({ t: books.title, n: authors.name }).from(books).innerJoin(authors, eq(books.authorId, authors.id));
    if (j.length !== 1 || j[0].n !== 'ann') errs.push(`join ${JSON.stringify(j)}`);
    return errs;
  },
  async on_conflict() {
    const r = await db.insert(authors).values({ name: 'ann' }).onConflictDoNothing().returning();
    assert(r.length === 0, `DO NOTHING returned ${r.length}`);
    const u = await db.insert(authors).values({ name: 'ann' }).onConflictDoUpdate({ target: authors.name, set: { name: 'ann2' } }).returning();
    assert(u[0].name === 'ann2', JSON.stringify(u));
  },
  async transactions() {
    await db.transaction(async (tx) => { await tx.insert(authors).values({ name: 'tx1' }); });
    try { await db.transaction(async (tx) => { await tx.insert(authors).values({ name: 'tx2' }); tx.rollback(); }); } catch (e) { }
    const names = (await db.select({ n: authors.name }).from(authors).orderBy(authors.name)).map((r) => r.n);
    assert(JSON.stringify(names) === '["ann2","tx1"]', JSON.stringify(names));
  },
  async errors() {
    try { await db.insert(authors).values({ name: 'tx1' }); return ['no error']; } catch (e) {
      const c = e.cause || e;
      const errs = [];
      if (c.code !== '23505') errs.push(`code ${c.code} ${c.message}`);
      if (c.constraint !== 'dz_author_name_unique') errs.push(`constraint ${c.constraint}`);
      return errs;
    }
  },
};

(async () => {
  for (const [name, fn] of Object.entries(scenarios)) {
    try {
      const r = await fn();
      if (r === undefined) emit(name, true); else emit(name, r.length === 0, r.join('; '));
    } catch (e) { const c = e.cause || e; emit(name, false, `${c.code ? c.code + ' ' : ''}${c.message}`); console.error(e); }
  }
  emit('introspection', null, 'drizzle-orm has no runtime introspection (drizzle-kit pull is a separate tool, not run)');
  await pool.end();
  process.exit(0);
})();
