"""SQLAlchemy 2 (psycopg and asyncpg dialects) with Alembic, used as its users do: engine
first-connect, Core/ORM DDL via create_all, an Alembic migration run programmatically,
ORM CRUD with sessions, and Inspector reflection."""
import asyncio, datetime as dt, decimal, os, sys, tempfile, traceback, uuid
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from expect import E, emit
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import create_async_engine

URL = f"{E['PGUSER']}:{E['PGPASSWORD']}@{E['PGHOST']}:{E['PGPORT']}/{E['PGDATABASE']}"


class Base(orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "sa_author"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)


class Book(Base):
    __tablename__ = "sa_book"
    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    author_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("sa_author.id"), index=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.Text)
    price: orm.Mapped[decimal.Decimal] = orm.mapped_column(sa.Numeric(10, 2))
    published: orm.Mapped[dt.datetime] = orm.mapped_column(sa.DateTime(timezone=True))
    ref: orm.Mapped[uuid.UUID] = orm.mapped_column(sa.Uuid)
    meta: orm.Mapped[dict] = orm.mapped_column(sa.JSON)


def step(name, fn):
    try:
        r = fn()
        emit(name, True, "") if r is None else emit(name, not r, "; ".join(r))
    except Exception as e:
        emit(name, False, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        traceback.print_exc(file=sys.stderr)


def with_dialect(prefix, engine):
    def connect():
        with engine.connect() as c:
            v = c.execute(sa.text("select 1")).scalar()
            assert v == 1 and engine.dialect.server_version_info >= (14,), engine.dialect.server_version_info

    def ddl():
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)

    def crud():
        with orm.Session(engine) as s:
            a = Author(name="ann")
            s.add(a)
            s.flush()
            tz = dt.timezone(dt.timedelta(hours=5, minutes=30))
            s.add(Book(author_id=a.id, title="t", price=decimal.Decimal("12.30"),
                       published=dt.datetime(2024, 2, 29, 13, 14, 15, tzinfo=tz),
                       ref=uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), meta={"a": [1, 2]}))
            s.commit()
            b = s.scalars(sa.select(Book).where(Book.title == "t")).one()
            out = []
            if b.price != decimal.Decimal("12.30"):
                out.append(f"price {b.price!r}")
            if b.published != dt.datetime(2024, 2, 29, 7, 44, 15, tzinfo=dt.timezone.utc):
                out.append(f"published {b.published!r}")
            if b.meta != {"a": [1, 2]} or str(b.ref) != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11":
                out.append(f"meta/ref {b.meta!r} {b.ref!r}")
            n = s.execute(sa.update(Book).where(Book.author_id == a.id).values(title="u")).rowcount
            if n != 1:
                out.append(f"update rowcount {n}")
            s.commit()
            return out

    def errors():
        with orm.Session(engine) as s:
            s.add(Author(name="ann"))
            try:
                s.commit()
                return ["no IntegrityError"]
            except sa.exc.IntegrityError as e:
                s.rollback()
                code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
                if code != "23505":
                    return [f"sqlstate {code}"]
            assert s.scalar(sa.select(sa.func.count()).select_from(Author)) == 1

    def reflection():
        insp = sa.inspect(engine)
        out = []
        if not insp.has_table("sa_book"):
            out.append("has_table false")
        cols = [c["name"] for c in insp.get_columns("sa_book")]
        if cols[:3] != ["id", "author_id", "title"]:
            out.append(f"columns {cols}")
        fks = insp.get_foreign_keys("sa_book")
        if not fks or fks[0]["referred_table"] != "sa_author":
            out.append(f"fks {fks}")
        if not any(i["column_names"] == ["author_id"] for i in insp.get_indexes("sa_book")):
            out.append(f"indexes {insp.get_indexes('sa_book')}")
        return out

    step(f"{prefix}connect", connect)
    step(f"{prefix}ddl", ddl)
    step(f"{prefix}crud_text", crud)
    step(f"{prefix}errors", errors)
    step(f"{prefix}introspection", reflection)


def alembic():
    from alembic.config import Config
    from alembic import command
    d = tempfile.mkdtemp()
    os.makedirs(os.path.join(d, "versions"))
    with open(os.path.join(d, "env.py"), "w") as f:
        f.write(
            "from alembic import context\nimport sqlalchemy as sa\n"
            "eng = sa.create_engine(context.config.get_main_option('sqlalchemy.url'))\n"
            "with eng.connect() as c:\n"
            "    context.configure(connection=c, target_metadata=None)\n"
            "    with context.begin_transaction():\n"
            "        context.run_migrations()\n")
    with open(os.path.join(d, "script.py.mako"), "w") as f:
        f.write("")
    with open(os.path.join(d, "versions", "0001_init.py"), "w") as f:
        f.write(
            "revision = '0001'\ndown_revision = None\nbranch_labels = None\ndepends_on = None\n"
            "from alembic import op\nimport sqlalchemy as sa\n"
            "def upgrade():\n"
            "    op.create_table('al_user', sa.Column('id', sa.Integer, primary_key=True),\n"
            "                    sa.Column('email', sa.String(100), nullable=False, unique=True))\n"
            "    op.create_index('al_user_email_idx', 'al_user', ['email'])\n"
            "    op.add_column('al_user', sa.Column('age', sa.Integer))\n"
            "def downgrade():\n"
            "    op.drop_table('al_user')\n")
    cfg = Config()
    cfg.set_main_option("script_location", d)
    cfg.set_main_option("sqlalchemy.url", "postgresql+psycopg://" + URL)
    command.upgrade(cfg, "head")
    eng = sa.create_engine("postgresql+psycopg://" + URL)
    with eng.connect() as c:
        v = c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        assert v == "0001", v
    command.downgrade(cfg, "base")


def asyncpg_dialect():
    async def go():
        eng = create_async_engine("postgresql+asyncpg://" + URL)
        async with eng.begin() as c:
            await c.run_sync(Base.metadata.drop_all)
            await c.run_sync(Base.metadata.create_all)
            await c.execute(sa.insert(Author).values(name="bob"))
            n = (await c.execute(sa.select(sa.func.count()).select_from(Author))).scalar()
            assert n == 1, n
        await eng.dispose()
    asyncio.run(go())


with_dialect("", sa.create_engine("postgresql+psycopg://" + URL))
step("alembic_migration", alembic)
step("asyncpg_dialect", asyncpg_dialect)
