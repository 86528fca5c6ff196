// Knex used as its users do: migrations (knex_migrations + lock table), the schema builder,
// query builder CRUD with RETURNING and onConflict, transactions, hasTable/hasColumn.
const knexLib = require('knex');
const fs = require('fs');
const os = require('os');
const path = require('path');

const E = process.env;
const connection = { host: E.PGHOST, port: +E.PGPORT, user: E.PGUSER, password: E.PGPASSWORD, database: E.PGDATABASE };
const emit = (scenario, ok, message = '') => console.log(JSON.stringify({ scenario, ok, message: String(message).slice(0, 400) }));
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knex-mig-'));
fs.writeFileSync(path.join(dir, '20240101000000_init.js'), `
exports.up = async (knex) => {
  await knex.schema.createTable('kx_author', (t) => { t.increments('id'); t.string('name', 50).notNullable().unique(); });
  await knex.schema.createTable('kx_book', (t) => {
    t.bigIncrements('id'); t.integer('author_id').notNullable().references('id').inTable('kx_author');
    t.text('title'); t.decimal('price', 10, 2); t.timestamp('published', { useTz: true }); t.jsonb('meta'); t.boolean('done').defaultTo(false);
    t.index(['author_id']);
  });
};
exports.down = async (knex) => { await knex.schema.dropTable('kx_book'); await knex.schema.dropTable('kx_author'); };
`);
const knex = knexLib({ client: 'pg', connection, pool: { min: 0, max: 2 }, migrations: { directory: dir } });

const scenarios = {
  async connect() { const r = await knex.raw('select version() as v'); assert(r.rows[0].v.startsWith('PostgreSQL 1'), r.rows[0].v); },
  async ddl() {
    await knex.raw('DROP TABLE IF EXISTS kx_book; DROP TABLE IF EXISTS kx_author; DROP TABLE IF EXISTS knex_migrations; DROP TABLE IF EXISTS knex_migrations_lock');
    const [batch, files] = await knex.migrate.latest();
    assert(files.length === 1, `migrated ${files}`);
  },
  async crud_text() {
    const [a] = await knex('kx_author').insert({ name: 'ann' }).returning(['id', 'name']);
    assert(a.id === 1 && a.name === 'ann', JSON.stringify(a));
    const [b] = await knex('kx_book').insert({ author_id: a.id, title: 't', price: '12.30', published: new Date('2024-02-29T07:44:15Z'), meta: JSON.stringify({ b: 2, a: 1 }) }).returning('*');
    const errs = [];
    if (b.price !== '12.30') errs.push(`price ${b.price}`);
    if (!(b.published instanceof Date) || b.published.toISOString() !== '2024-02-29T07:44:15.000Z') errs.push(`published ${b.published}`);
    if (JSON.stringify(b.meta) !== '{"a":1,"b":2}') errs.push(`meta ${JSON.stringify(b.meta)}`);
    if (b.done !== false) errs.push(`done ${b.done}`);
    const n = await knex('kx_book').where({ author_id: a.id }).update({ done: true });
    if (n !== 1) errs.push(`update count ${n}`);
    const rows = await knex('kx_book').select('title').where('done', true).orderBy('id').limit(5);
    if (rows.length !== 1) errs.push(`select ${rows.length}`);
    return errs;
  },
  async on_conflict() {
    await knex('kx_author').insert({ name: 'ann' }).onConflict('name').ignore();
    const r = await knex('kx_author').insert({ name: 'ann' }).onConflict('name').merge({ name: 'ann2' }).returning('name');
    assert(r[0].name === 'ann2', JSON.stringify(r));
  },
  async transactions() {
    await knex.transaction(async (trx) => { await trx('kx_author').insert({ name: 'tx1' }); });
    try { await knex.transaction(async (trx) => { await trx('kx_author').insert({ name: 'tx2' }); throw new Error('rollback'); }); } catch (e) { }
    const names = (await knex('kx_author').select('name').orderBy('name')).map((r) => r.name);
    assert(JSON.stringify(names) === '["ann2","tx1"]', JSON.stringify(names));
  },
  async errors() {
    try { await knex('kx_author').insert({ name: 'tx1' }); return ['no error']; } catch (e) {
      const errs = [];
      if (e.code !== '23505') errs.push(`code ${e.code}`);
      if (e.constraint !== 'kx_author_name_unique') errs.push(`constraint ${e.constraint}`);
      const n = await knex('kx_author').count('* as n');
      if (+n[0].n !== 2) errs.push('connection unusable afterwards');
      return errs;
    }
  },
  async introspection() {
    const errs = [];
    if (!(await knex.schema.hasTable('kx_book'))) errs.push('hasTable false');
    if (!(await knex.schema.hasColumn('kx_book', 'price'))) errs.push('hasColumn false');
    const info = await knex('kx_book').columnInfo();
    if (!info.price || info.price.type !== 'numeric') errs.push(`columnInfo ${JSON.stringify(info.price)}`);
    return errs;
  },
  async migration_rollback() {
    await knex.migrate.rollback();
    assert(!(await knex.schema.hasTable('kx_book')), 'table still there');
  },
};

(async () => {
  for (const [name, fn] of Object.entries(scenarios)) {
    try {
      const r = await fn();
      if (r === undefined) emit(name, true); else emit(name, r.length === 0, r.join('; '));
    } catch (e) { emit(name, false, `${e.code ? e.code + ' ' : ''}${e.message}`); console.error(e); }
  }
  await knex.destroy();
  process.exit(0);
})();
