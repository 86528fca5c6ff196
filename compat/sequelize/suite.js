// Sequelize 6 (pg) used as its users do: model definitions synced with sync() (SERIAL and
// identity-like keys, unique, foreign key, index) and re-synced with sync({ alter: true }),
// which reads the schema back through QueryInterface; model CRUD on every scalar type,
// bulkCreate/upsert with conflicts, managed transactions with nested savepoints, and the
// error classes Sequelize maps from SQLSTATEs.
const { Sequelize, DataTypes, Op } = require('sequelize');

const E = process.env;
const emit = (scenario, ok, message = '') => console.log(JSON.stringify({ scenario, ok, message: String(message).slice(0, 400) }));
function assert(cond, msg) { if (!cond) throw new Error(msg); }

function make(over = {}) {
  const { dialectOptions = {}, ...rest } = over;
  return new Sequelize(E.PGDATABASE, E.PGUSER, E.PGPASSWORD, {
    host: E.PGHOST, port: +E.PGPORT, dialect: 'postgres', logging: false,
    pool: { max: 2, min: 0 }, dialectOptions: { connectionTimeoutMillis: 30000, ...dialectOptions }, ...rest,
  });
}
const sq = make();

const Author = sq.define('sq_author', {
  id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
  name: { type: DataTypes.STRING(50), allowNull: false, unique: true },
}, { tableName: 'sq_author', timestamps: false });
const Book = sq.define('sq_book', {
  id: { type: DataTypes.BIGINT, primaryKey: true, autoIncrement: true },
  title: { type: DataTypes.TEXT, allowNull: false },
  price: DataTypes.DECIMAL(10, 2),
}, { tableName: 'sq_book', timestamps: true, indexes: [{ fields: ['title'] }] });
Author.hasMany(Book, { foreignKey: { name: 'authorId', allowNull: false } });
Book.belongsTo(Author, { foreignKey: { name: 'authorId', allowNull: false } });
const Typed = sq.define('sq_typed', {
  i2: DataTypes.SMALLINT, i4: DataTypes.INTEGER, i8: DataTypes.BIGINT, f8: DataTypes.DOUBLE,
  num: DataTypes.DECIMAL(10, 2), t: DataTypes.TEXT, vc: DataTypes.STRING(20), b: DataTypes.BOOLEAN,
  by: DataTypes.BLOB, d: DataTypes.DATEONLY, tstz: DataTypes.DATE, u: DataTypes.UUID,
  j: DataTypes.JSON, jb: DataTypes.JSONB,
}, { tableName: 'sq_typed', timestamps: false });

const ROW = {
  i2: -32768, i4: 2147483647, i8: '9000000000000000000', f8: 1.5, num: '12.30', t: "hé 'q'", vc: 'vc', b: true,
  by: Buffer.from([0, 255, 0]), d: '2024-02-29', tstz: new Date('2024-02-29T07:44:15.500Z'),
  u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', j: { a: [1, 2] }, jb: { b: 2, a: 1 },
};

async function authenticateWith(over) {
  const s = make(over);
  try { await s.authenticate(); const [[r]] = await s.query('select 1 as one'); assert(r.one === 1, JSON.stringify(r)); } finally { await s.close(); }
}

const scenarios = {
  async connect() { await sq.authenticate(); },
  async tls_require() { await authenticateWith({ dialectOptions: { ssl: { rejectUnauthorized: false } } }); },
  async tls_verify_full() {
    await authenticateWith({ host: 'localhost', dialectOptions: { ssl: { ca: require('fs').readFileSync(E.COMPAT_CA, 'utf8'), rejectUnauthorized: true } } });
  },
  async wrong_password() {
    const s = new Sequelize(E.PGDATABASE, E.PGUSER, 'wrong', { host: E.PGHOST, port: +E.PGPORT, dialect: 'postgres', logging: false });
    try { await s.authenticate(); return ['connected with a wrong password']; } catch (e) {
      const code = e.parent && e.parent.code;
      return code === '28P01' ? [] : [`${e.name} ${code} ${e.message}`];
    } finally { await s.close(); }
  },
  async server_info() {
    const [[r]] = await sq.query('SELECT version() AS v, current_schema() AS s, current_database() AS d');
    assert(r.v.startsWith('PostgreSQL 1') && r.s === 'public' && r.d === E.PGDATABASE, JSON.stringify(r));
    const v = await sq.databaseVersion();
    assert(/^1[4-9]/.test(v), `databaseVersion ${v}`);
  },
  async ddl() {
    await sq.getQueryInterface().dropTable('sq_book');
    await sq.sync({ force: true });
    const a = await Author.create({ name: 'fk' });
    await Book.create({ title: 't', authorId: a.id });
    try { await Book.create({ title: 'orphan', authorId: 999999 }); return ['foreign key not enforced']; } catch (e) {
      if (!(e instanceof Sequelize.ForeignKeyConstraintError)) return [`${e.name} ${e.message}`];
    }
    await Book.destroy({ where: {} }); await Author.destroy({ where: {} });
    return [];
  },
  async crud_text() {
    const errs = [];
    const r = await Typed.create(ROW);
    const got = (await Typed.findByPk(r.id)).get({ plain: true });
    for (const [k, want] of Object.entries(ROW)) {
      const g = got[k];
      const same = Buffer.isBuffer(want) ? Buffer.isBuffer(g) && g.equals(want)
        : want instanceof Date ? g instanceof Date && g.getTime() === want.getTime()
          : typeof want === 'object' ? JSON.stringify(g) === JSON.stringify(k === 'jb' ? { a: 1, b: 2 } : want) : g === want;
      if (!same) errs.push(`${k}: got ${JSON.stringify(g)} want ${JSON.stringify(want)}`);
    }
    try {
      const ids = [];
      for (const f8 of [NaN, Infinity, -Infinity]) ids.push((await Typed.create({ f8 })).id);
      const vals = [];
      for (const id of ids) vals.push((await Typed.findByPk(id)).f8);
      if (JSON.stringify(vals.map(String)) !== '["NaN","Infinity","-Infinity"]') errs.push(`NaN/±Infinity: got ${vals}`);
    } catch (e) { errs.push(`NaN/±Infinity insert: ${e.parent ? e.parent.code : ''} ${e.message}`); }
    const n = await Typed.create({});
    const nul = (await Typed.findByPk(n.id)).get({ plain: true });
    if (Object.keys(ROW).some((k) => nul[k] !== null)) errs.push(`NULL row came back ${JSON.stringify(nul)}`);
    const later = await Typed.count({ where: { tstz: { [Op.gt]: '2024-02-29 13:00:00+05:30' } } });
    if (later !== 1) errs.push(`timestamptz comparison with an offset: ${later}`);
    const [cnt] = await Typed.update({ t: 'upd' }, { where: { id: r.id } });
    if (cnt !== 1) errs.push(`update count ${cnt}`);
    const del = await Typed.destroy({ where: { id: { [Op.ne]: r.id } } });
    if (del < 1) errs.push(`destroy count ${del}`);
    return errs;
  },
  async returning() {
    const a = await Author.create({ name: 'ret' });
    assert(Number.isInteger(a.id) && a.id > 0, `id ${a.id}`);
    const made = await Author.bulkCreate([{ name: 'b1' }, { name: 'b2' }, { name: 'b3' }], { returning: true });
    assert(made.every((m) => Number.isInteger(m.id)), JSON.stringify(made));
    const [n, rows] = await Author.update({ name: sq.fn('upper', sq.col('name')) }, { where: { name: { [Op.like]: 'b%' } }, returning: true });
    assert(n === 3 && rows.every((r) => r.name.startsWith('B')), `${n} ${JSON.stringify(rows)}`);
    const d = await Author.destroy({ where: { name: { [Op.like]: 'B%' } } });
    assert(d === 3, `destroy ${d}`);
  },
  async on_conflict() {
    await Author.bulkCreate([{ name: 'ret' }, { name: 'fresh' }], { ignoreDuplicates: true });
    assert(await Author.count() === 2, `count ${await Author.count()}`);
    const ret = await Author.findOne({ where: { name: 'ret' } });
    const [up] = await Author.upsert({ id: ret.id, name: 'ret2' }, { returning: true });
    assert(up.name === 'ret2', JSON.stringify(up));
    await Author.bulkCreate([{ id: ret.id, name: 'ret3' }], { updateOnDuplicate: ['name'], conflictAttributes: ['id'] });
    assert((await Author.findByPk(ret.id)).name === 'ret3', 'updateOnDuplicate lost');
  },
  async transactions() {
    await Author.destroy({ where: {} });
    await sq.transaction(async (t) => { await Author.create({ name: 'tx1' }, { transaction: t }); });
    try { await sq.transaction(async (t) => { await Author.create({ name: 'tx2' }, { transaction: t }); throw new Error('roll back'); }); } catch (e) { }
    const names = (await Author.findAll({ order: [['name', 'ASC']] })).map((a) => a.name);
    assert(JSON.stringify(names) === '["tx1"]', JSON.stringify(names));
    const t = await sq.transaction();
    try {
      await sq.query('SELECT * FROM sq_missing', { transaction: t }).catch(() => { });
      await sq.query('SELECT 1', { transaction: t });
      return ['statement after a failed one succeeded'];
    } catch (e) {
      return e.parent && e.parent.code === '25P02' ? [] : [`got ${e.parent && e.parent.code} ${e.message}`];
    } finally { await t.rollback(); }
  },
  async savepoint() {
    await Author.destroy({ where: {} });
    await sq.transaction(async (t) => {
      await Author.create({ name: 'outer' }, { transaction: t });
      try {
        await sq.transaction({ transaction: t }, async (t2) => {
          await Author.create({ name: 'inner' }, { transaction: t2 });
          await Author.create({ name: 'outer' }, { transaction: t2 });
        });
      } catch (e) { }
      await Author.create({ name: 'after' }, { transaction: t });
    });
    const names = (await Author.findAll({ order: [['name', 'ASC']] })).map((a) => a.name);
    assert(JSON.stringify(names) === '["after","outer"]', JSON.stringify(names));
  },
  async errors() {
    const errs = [];
    try { await Author.create({ name: 'after' }); errs.push('no 23505'); } catch (e) {
      if (!(e instanceof Sequelize.UniqueConstraintError) || e.parent.code !== '23505' || e.parent.constraint !== 'sq_author_name_key') errs.push(`23505: ${e.name} ${e.parent && e.parent.code} ${e.parent && e.parent.constraint}`);
    }
    try { await sq.query('INSERT INTO sq_author (name) VALUES (NULL)'); errs.push('no 23502'); } catch (e) {
      if (!e.parent || e.parent.code !== '23502') errs.push(`23502: ${e.parent && e.parent.code}`);
    }
    for (const [sql, want] of [['SELECT * FROM sq_missing', '42P01'], ['SELECT nope FROM sq_author', '42703']]) {
      try { await sq.query(sql); errs.push(`no ${want}`); } catch (e) { if (!e.parent || e.parent.code !== want) errs.push(`${want}: ${e.parent && e.parent.code}`); }
    }
    if (await Author.count() !== 2) errs.push('connection unusable afterwards');
    return errs;
  },
  async reuse() {
    for (let i = 0; i < 10; i++) {
      await sq.transaction(async (t) => {
        await Author.create({ name: `r${i}` }, { transaction: t });
        const n = await Author.count({ where: { name: { [Op.like]: 'r%' } }, transaction: t });
        assert(n === i + 1, `iteration ${i}: ${n}`);
      });
    }
  },
  async introspection() {
    const qi = sq.getQueryInterface();
    const errs = [];
    const tables = (await qi.showAllTables()).map((t) => (typeof t === 'string' ? t : t.tableName));
    for (const t of ['sq_author', 'sq_book', 'sq_typed']) if (!tables.includes(t)) errs.push(`showAllTables lacks ${t}: ${tables}`);
    const desc = await qi.describeTable('sq_book');
    if (!desc.id || !desc.id.primaryKey || !desc.price || !desc.price.type.startsWith('NUMERIC')) errs.push(`describeTable ${JSON.stringify(desc)}`);
    const fks = await qi.getForeignKeyReferencesForTable('sq_book');
    if (!fks.some((f) => f.columnName === 'authorId' && f.referencedTableName === 'sq_author')) errs.push(`fks ${JSON.stringify(fks)}`);
    const idx = await qi.showIndex('sq_book');
    if (!idx.some((i) => i.fields.some((f) => f.attribute === 'title'))) errs.push(`showIndex ${JSON.stringify(idx)}`);
    Book.rawAttributes.subtitle = { type: DataTypes.STRING(30) };
    Book.refreshAttributes();
    await Book.sync({ alter: true });
    const after = await qi.describeTable('sq_book');
    if (!after.subtitle) errs.push(`sync({ alter }) did not add the column: ${Object.keys(after)}`);
    return errs;
  },
};
const notExpressible = {
  crud_binary: 'Sequelize (pg) reads text results only',
  pipeline: 'Sequelize sends one statement at a time',
  cancel: 'Sequelize has no query cancel API',
  multihost: 'pg connects to a single host',
};

(async () => {
  for (const [name, fn] of Object.entries(scenarios)) {
    try {
      const r = await fn();
      if (r === undefined) emit(name, true); else emit(name, r.length === 0, r.join('; '));
    } catch (e) { emit(name, false, `${e.parent && e.parent.code ? e.parent.code + ' ' : ''}${e.name}: ${e.message}`); console.error(e); }
  }
  for (const [name, why] of Object.entries(notExpressible)) emit(name, null, why);
  await sq.close();
  process.exit(0);
})();
