// TypeORM (pg) used as its users do: entity schemas with synchronize (identity/serial keys,
// unique, foreign key, index) — whose second run must find nothing to change, which is only
// true when TypeORM reads the schema back from information_schema/pg_catalog the way it
// wrote it — repositories and the query builder for CRUD on every scalar type, orIgnore /
// orUpdate / upsert, DataSource transactions, nested query-runner transactions (savepoints),
// QueryFailedError with driverError.code, and QueryRunner table introspection.
require('reflect-metadata');
const fs = require('fs');
const { DataSource, EntitySchema, QueryFailedError, MoreThan, Not, Like } = require('typeorm');

const E = process.env;
const emit = (scenario, ok, message = '') => console.log(JSON.stringify({ scenario, ok, message: String(message).slice(0, 400) }));
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const Author = new EntitySchema({
  name: 'Author', tableName: 'to_author',
  columns: { id: { type: 'int', primary: true, generated: 'increment' }, name: { type: 'varchar', length: 50, unique: true } },
  relations: { books: { type: 'one-to-many', target: 'Book', inverseSide: 'author' } },
});
const Book = new EntitySchema({
  name: 'Book', tableName: 'to_book',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'identity' },
    title: { type: 'text' },
    price: { type: 'numeric', precision: 10, scale: 2, nullable: true },
    authorId: { type: 'int' },
  },
  relations: { author: { type: 'many-to-one', target: 'Author', joinColumn: { name: 'authorId' }, inverseSide: 'books' } },
  indices: [{ name: 'to_book_title_idx', columns: ['title'] }],
});
const Typed = new EntitySchema({
  name: 'Typed', tableName: 'to_typed',
  columns: {
    id: { type: 'int', primary: true, generated: 'increment' },
    i2: { type: 'smallint', nullable: true }, i4: { type: 'integer', nullable: true }, i8: { type: 'bigint', nullable: true },
    f8: { type: 'double precision', nullable: true }, num: { type: 'numeric', precision: 10, scale: 2, nullable: true },
    t: { type: 'text', nullable: true }, vc: { type: 'varchar', length: 20, nullable: true }, b: { type: 'boolean', nullable: true },
    by: { type: 'bytea', nullable: true }, d: { type: 'date', nullable: true }, ts: { type: 'timestamp', nullable: true },
    tstz: { type: 'timestamptz', nullable: true }, u: { type: 'uuid', nullable: true },
    j: { type: 'json', nullable: true }, jb: { type: 'jsonb', nullable: true },
  },
});
const ROW = {
  i2: -32768, i4: 2147483647, i8: '9000000000000000000', f8: 1.5, num: '12.30', t: "hé 'q'", vc: 'vc', b: true,
  by: Buffer.from([0, 255, 0]), d: '2024-02-29', ts: new Date(2024, 1, 29, 13, 14, 15, 500),
  tstz: new Date('2024-02-29T07:44:15.500Z'), u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', j: { a: [1, 2] }, jb: { b: 2, a: 1 },
};

function source(over = {}) {
  return new DataSource({
    type: 'postgres', host: E.PGHOST, port: +E.PGPORT, username: E.PGUSER, password: E.PGPASSWORD,
    database: E.PGDATABASE, entities: [Author, Book, Typed], logging: false, connectTimeoutMS: 30000,
    poolSize: 2, ...over,
  });
}
let ds;
const code = (e) => (e && e.driverError ? e.driverError.code : e && e.code);

async function tryConnect(over) {
  const s = source(over);
  await s.initialize();
  try { const [r] = await s.query('SELECT 1 AS one'); assert(r.one === 1, JSON.stringify(r)); } finally { await s.destroy(); }
}

const scenarios = {
  async connect() { ds = source(); await ds.initialize(); },
  async tls_require() { await tryConnect({ ssl: { rejectUnauthorized: false } }); },
  async tls_verify_full() { await tryConnect({ ssl: { ca: fs.readFileSync(E.COMPAT_CA, 'utf8'), servername: 'localhost' } }); },
  async wrong_password() {
    try { await tryConnect({ password: 'wrong' }); return ['connected with a wrong password']; } catch (e) {
      return code(e) === '28P01' ? [] : [`${code(e)} ${e.message}`];
    }
  },
  async server_info() {
    const [r] = await ds.query('SELECT version() AS v, current_schema() AS s, current_database() AS d');
    assert(r.v.startsWith('PostgreSQL 1') && r.s === 'public' && r.d === E.PGDATABASE, JSON.stringify(r));
    assert(ds.driver.version && +ds.driver.version.split('.')[0] >= 14, `driver.version ${ds.driver.version}`);
  },
  async ddl() {
    await ds.query('DROP TABLE IF EXISTS to_book, to_typed, to_author CASCADE');
    await ds.synchronize();
    const pending = (await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query);
    if (pending.length) return [`second synchronize would run: ${pending.join('; ')}`];
    const a = await ds.getRepository(Author).save({ name: 'fk' });
    await ds.getRepository(Book).save({ title: 't', authorId: a.id });
    try { await ds.getRepository(Book).insert({ title: 'orphan', authorId: 999999 }); return ['foreign key not enforced']; } catch (e) {
      if (code(e) !== '23503') return [`FK violation: ${code(e)} ${e.message}`];
    }
    await ds.query('DELETE FROM to_book'); await ds.query('DELETE FROM to_author');
    return [];
  },
  async crud_text() {
    const repo = ds.getRepository(Typed);
    const errs = [];
    const r = await repo.save({ ...ROW });
    const got = await repo.findOneBy({ id: r.id });
    for (const [k, want] of Object.entries(ROW)) {
      const g = got[k];
      const same = Buffer.isBuffer(want) ? Buffer.isBuffer(g) && g.equals(want)
        : want instanceof Date ? g instanceof Date && g.getTime() === want.getTime()
          : typeof want === 'object' ? JSON.stringify(g) === JSON.stringify(k === 'jb' ? { a: 1, b: 2 } : want) : g === want;
      if (!same) errs.push(`${k}: got ${JSON.stringify(g)} want ${JSON.stringify(want)}`);
    }
    let specials = 0;
    try {
      const ids = [];
      for (const f8 of [NaN, Infinity, -Infinity]) { ids.push((await repo.save({ f8 })).id); specials++; }
      const vals = [];
      for (const id of ids) vals.push((await repo.findOneBy({ id })).f8);
      if (JSON.stringify(vals.map(String)) !== '["NaN","Infinity","-Infinity"]') errs.push(`NaN/±Infinity: got ${vals}`);
    } catch (e) { errs.push(`NaN/±Infinity insert: ${code(e)} ${e.message}`); }
    const n = await repo.save({});
    const nul = await repo.findOneBy({ id: n.id });
    if (Object.keys(ROW).some((k) => nul[k] !== null)) errs.push(`NULL row came back ${JSON.stringify(nul)}`);
    const later = await repo.countBy({ tstz: MoreThan(new Date('2024-02-29T07:30:00Z')) });
    if (later !== 1) errs.push(`timestamptz comparison: ${later}`);
    const up = await repo.update({ id: r.id }, { t: 'upd' });
    if (up.affected !== 1) errs.push(`update affected ${up.affected}`);
    const del = await repo.delete({ id: Not(r.id) });
    if (del.affected !== 1 + specials) errs.push(`delete affected ${del.affected}`);
    return errs;
  },
  async returning() {
    const res = await ds.createQueryBuilder().insert().into(Author).values([{ name: 'r1' }, { name: 'r2' }]).returning(['id', 'name']).execute();
    assert(res.raw.length === 2 && res.raw.every((x) => Number.isInteger(x.id)), JSON.stringify(res.raw));
    assert(res.identifiers.length === 2 && Number.isInteger(res.identifiers[0].id), JSON.stringify(res.identifiers));
    const up = await ds.createQueryBuilder().update(Author).set({ name: () => 'upper(name)' }).where('name LIKE :p', { p: 'r%' }).returning('*').execute();
    assert(up.affected === 2 && up.raw.every((x) => x.name.startsWith('R')), `${up.affected} ${JSON.stringify(up.raw)}`);
    const del = await ds.getRepository(Author).delete({ name: Like('R%') });
    assert(del.affected === 2, `delete ${del.affected}`);
  },
  async on_conflict() {
    const repo = ds.getRepository(Author);
    await ds.query('DELETE FROM to_book'); await ds.query('DELETE FROM to_author');
    await repo.insert({ name: 'dup' });
    await ds.createQueryBuilder().insert().into(Author).values({ name: 'dup' }).orIgnore().execute();
    assert(await repo.count() === 1, 'orIgnore inserted');
    await ds.createQueryBuilder().insert().into(Author).values({ name: 'dup' }).orUpdate(['name'], ['name']).execute();
    const a = await repo.findOneBy({ name: 'dup' });
    await repo.upsert([{ name: 'dup' }, { name: 'dup3' }], ['name']);
    const names = (await repo.find({ order: { name: 'ASC' } })).map((x) => x.name);
    assert(JSON.stringify(names) === '["dup","dup3"]', `upsert: ${JSON.stringify(names)}`);
    assert((await repo.findOneBy({ name: 'dup' })).id === a.id, 'upsert replaced the row');
  },
  async transactions() {
    const repo = ds.getRepository(Author);
    await repo.clear().catch(() => ds.query('DELETE FROM to_author'));
    await ds.transaction(async (m) => { await m.save(Author, { name: 'tx1' }); });
    try { await ds.transaction(async (m) => { await m.save(Author, { name: 'tx2' }); throw new Error('roll back'); }); } catch (e) { }
    const names = (await repo.find({ order: { name: 'ASC' } })).map((x) => x.name);
    assert(JSON.stringify(names) === '["tx1"]', JSON.stringify(names));
    const qr = ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    try {
      await qr.query('SELECT * FROM to_missing').catch(() => { });
      await qr.query('SELECT 1');
      return ['statement after a failed one succeeded'];
    } catch (e) {
      return code(e) === '25P02' ? [] : [`got ${code(e)} ${e.message}`];
    } finally { await qr.rollbackTransaction(); await qr.release(); }
  },
  async savepoint() {
    await ds.query('DELETE FROM to_author');
    const qr = ds.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      await qr.manager.save(Author, { name: 'outer' });
      await qr.startTransaction();
      await qr.manager.save(Author, { name: 'inner' });
      await qr.rollbackTransaction();
      await qr.manager.save(Author, { name: 'after' });
      await qr.commitTransaction();
    } finally { await qr.release(); }
    const names = (await ds.getRepository(Author).find({ order: { name: 'ASC' } })).map((x) => x.name);
    assert(JSON.stringify(names) === '["after","outer"]', JSON.stringify(names));
  },
  async errors() {
    const errs = [];
    try { await ds.getRepository(Author).insert({ name: 'after' }); errs.push('no 23505'); } catch (e) {
      if (!(e instanceof QueryFailedError) || code(e) !== '23505' || !e.driverError.constraint) errs.push(`23505: ${code(e)} ${e.driverError && e.driverError.constraint}`);
    }
    try { await ds.query('INSERT INTO to_author (name) VALUES ($1)', [null]); errs.push('no 23502'); } catch (e) { if (code(e) !== '23502') errs.push(`23502: ${code(e)}`); }
    for (const [sql, want] of [['SELECT * FROM to_missing', '42P01'], ['SELECT nope FROM to_author', '42703']]) {
      try { await ds.query(sql); errs.push(`no ${want}`); } catch (e) { if (code(e) !== want) errs.push(`${want}: ${code(e)}`); }
    }
    if (await ds.getRepository(Author).count() !== 2) errs.push('connection unusable afterwards');
    return errs;
  },
  async reuse() {
    const repo = ds.getRepository(Author);
    for (let i = 0; i < 10; i++) {
      await ds.transaction(async (m) => {
        await m.insert(Author, { name: `r${i}` });
        const n = await m.countBy(Author, { name: Like('r%') });
        assert(n === i + 1, `iteration ${i}: ${n}`);
      });
    }
    assert(await repo.countBy({ name: Like('r%') }) === 10, 'lost rows');
  },
  async introspection() {
    const qr = ds.createQueryRunner();
    const errs = [];
    try {
      if (!(await qr.hasTable('to_book'))) errs.push('hasTable false');
      if (!(await qr.hasColumn('to_book', 'price'))) errs.push('hasColumn false');
      const t = await qr.getTable('to_book');
      if (!t) return ['getTable: undefined'];
      const cols = t.columns.map((c) => `${c.name}:${c.type}`);
      if (JSON.stringify(cols.sort()) !== JSON.stringify(['authorId:integer', 'id:bigint', 'price:numeric', 'title:text'])) errs.push(`columns ${cols}`);
      if (!t.foreignKeys.some((f) => f.referencedTableName.endsWith('to_author') && f.columnNames[0] === 'authorId')) errs.push(`foreignKeys ${JSON.stringify(t.foreignKeys)}`);
      if (!t.indices.some((i) => i.name === 'to_book_title_idx')) errs.push(`indices ${JSON.stringify(t.indices.map((i) => i.name))}`);
      const a = await qr.getTable('to_author');
      if (!a.uniques.length && !a.indices.some((i) => i.isUnique)) errs.push('to_author: unique on name not seen');
    } finally { await qr.release(); }
    return errs;
  },
};
const notExpressible = {
  crud_binary: 'TypeORM (pg) reads text results only',
  pipeline: 'TypeORM sends one statement at a time',
  cancel: 'TypeORM has no query cancel API',
  multihost: 'pg connects to a single host',
};

(async () => {
  for (const [name, fn] of Object.entries(scenarios)) {
    try {
      const r = await fn();
      if (r === undefined) emit(name, true); else emit(name, r.length === 0, r.join('; '));
    } catch (e) { emit(name, false, `${code(e) ? code(e) + ' ' : ''}${e.name}: ${e.message}`); console.error(e); }
  }
  for (const [name, why] of Object.entries(notExpressible)) emit(name, null, why);
  if (ds && ds.isInitialized) await ds.destroy();
  process.exit(0);
})();
