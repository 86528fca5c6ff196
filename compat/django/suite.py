"""Django ORM (psycopg 3 backend) used as its users do: settings with several database aliases
(plain, TLS require / verify-full, server-side binding, multi-host), `migrate` with the
app's migrations (identity keys, unique, foreign key, indexes, an added column), ORM CRUD
on every scalar field type, bulk_create with conflicts, atomic blocks and nested savepoints,
IntegrityError mapping, and the introspection that `migrate` and `inspectdb` use."""
import datetime as dt
import decimal
import io
import math
import os
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from expect import E, run_all  # noqa: E402

import django  # noqa: E402
from django.conf import settings  # noqa: E402


def db(**options):
    host = options.pop("HOST", E["PGHOST"])
    port = options.pop("PORT", E["PGPORT"])
    opts = {"sslmode": "disable", "connect_timeout": 30}
    opts.update(options)
    return {"ENGINE": "django.db.backends.postgresql", "NAME": E["PGDATABASE"], "USER": E["PGUSER"],
            "PASSWORD": E["PGPASSWORD"], "HOST": host, "PORT": port, "OPTIONS": opts}


settings.configure(
    INSTALLED_APPS=["compatapp"],
    USE_TZ=True,
    TIME_ZONE="UTC",
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    DATABASES={
        "default": db(),
        "tls_require": db(sslmode="require"),
        "tls_verify_full": db(sslmode="verify-full", sslrootcert=E["COMPAT_CA"]),
        "wrong_password": dict(db(), PASSWORD="wrong"),
        "server_side": db(server_side_binding=True),
        "multihost": db(HOST=f"127.0.0.1,{E['PGHOST']}", PORT=f"{E['COMPAT_DEAD_PORT']},{E['PGPORT']}",
                        target_session_attrs="read-write"),
    },
)
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import IntegrityError, DatabaseError, connections, transaction  # noqa: E402
from compatapp.models import Author, Book, Typed  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=5, minutes=30))
ROW = {
    "i2": -32768, "i4": 2147483647, "i8": 9000000000000000000, "f8": 1.5,
    "num": decimal.Decimal("12.30"), "t": "hé 'q'", "vc": "vc", "b": True, "by": b"\x00\xff\x00",
    "d": dt.date(2024, 2, 29), "tstz": dt.datetime(2024, 2, 29, 13, 14, 15, 500000, tzinfo=TZ),
    "u": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "jb": {"b": 2, "a": [1, None, "x"]},
}


def select_one(alias, sql, params=None):
    with connections[alias].cursor() as c:
        c.execute(sql, params)
        return c.fetchone()


def sqlstate(e):
    cause = e.__cause__
    return getattr(cause, "sqlstate", None), getattr(getattr(cause, "diag", None), "constraint_name", None)


def alias_works(alias):
    def run():
        v = select_one(alias, "SELECT 1")[0]
        assert v == 1, v
        if alias.startswith("tls"):
            assert connections[alias].connection.pgconn.ssl_in_use, "not TLS"
        connections[alias].close()
    return run


def wrong_password():
    try:
        connections["wrong_password"].ensure_connection()
    except DatabaseError as e:
        return ("password authentication failed" in str(e), str(e).strip())
    return (False, "connected with a wrong password")


def server_info():
    v, s, d = select_one("default", "SELECT version(), current_schema(), current_database()")
    pg = connections["default"].pg_version
    ok = v.startswith("PostgreSQL 1") and s == "public" and d == E["PGDATABASE"] and pg >= 140000
    return (ok, f"{v!r} {s!r} {d!r} {pg}")


def ddl():
    """`migrate` from nothing: django_migrations, the app's tables, identity keys, unique,
    the foreign key and its index, a composite index, then 0002's added column."""
    with connections["default"].cursor() as c:
        for t in ("compatapp_book", "compatapp_typed", "compatapp_author", "django_migrations"):
            c.execute(f"DROP TABLE IF EXISTS {t} CASCADE")
    out = io.StringIO()
    call_command("migrate", "compatapp", verbosity=1, interactive=False, stdout=out)
    text = out.getvalue()
    assert "Applying compatapp.0002_book_isbn... OK" in text, text
    a = Author.objects.create(name="fk-check")
    Book.objects.create(author=a, title="t", isbn="x")
    try:
        with transaction.atomic():
            Book.objects.create(author_id=999999, title="orphan", isbn="y")
        return (False, "foreign key not enforced")
    except IntegrityError as e:
        if sqlstate(e)[0] != "23503":
            return (False, f"FK violation sqlstate {sqlstate(e)}")
    Book.objects.all().delete()
    Author.objects.all().delete()


def crud(alias):
    def run():
        objs = Typed.objects.using(alias)
        objs.all().delete()
        errs = []
        r = objs.create(**ROW)
        got = objs.get(pk=r.pk)
        for k, want in ROW.items():
            g = getattr(got, k)
            if isinstance(g, memoryview):
                g = bytes(g)
            if g != want or (k != "f8" and type(g) is not type(want)):
                errs.append(f"{k}: got {g!r} want {want!r}")
        try:
            specials = [objs.create(f8=v).pk for v in (float("nan"), float("inf"), float("-inf"))]
            vals = [objs.get(pk=p).f8 for p in specials]
            shown = ["nan" if math.isnan(v) else repr(v) for v in vals]
            if shown != ["nan", "inf", "-inf"]:
                errs.append(f"NaN/±Infinity: got {shown}")
        except DatabaseError as e:
            errs.append(f"NaN/±Infinity insert: {sqlstate(e)[0]} {e}")
        n = objs.create()
        got = objs.get(pk=n.pk)
        if any(getattr(got, k) is not None for k in ROW):
            errs.append("NULL row came back non-NULL")
        if objs.filter(tstz__lt=dt.datetime(2024, 2, 29, 8, 0, tzinfo=dt.timezone.utc)).count() != 1:
            errs.append("timestamptz comparison across offsets")
        if objs.filter(jb__a__2="x").count() != 1:
            errs.append("jsonb path lookup")
        if objs.filter(pk=r.pk).update(t="upd") != 1:
            errs.append("update count")
        if objs.get(pk=r.pk).t != "upd":
            errs.append("update lost")
        deleted, _ = objs.exclude(pk=r.pk).delete()
        if deleted < 1:
            errs.append(f"delete count {deleted}")
        return errs
    return run


def returning():
    Author.objects.all().delete()
    a = Author.objects.create(name="ret")
    assert isinstance(a.pk, int) and a.pk > 0, a.pk
    made = Author.objects.bulk_create([Author(name=f"bulk{i}") for i in range(3)])
    ids = [m.pk for m in made]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3, ids
    n = Author.objects.filter(name__startswith="bulk").update(name=models_upper("name"))
    assert n == 3, n
    deleted, per_model = Author.objects.filter(name__startswith="BULK").delete()
    assert deleted == 3, (deleted, per_model)


def models_upper(field):
    from django.db.models.functions import Upper
    return Upper(field)


def on_conflict():
    Author.objects.all().delete()
    Author.objects.create(name="dup")
    Author.objects.bulk_create([Author(name="dup"), Author(name="new")], ignore_conflicts=True)
    names = sorted(Author.objects.values_list("name", flat=True))
    assert names == ["dup", "new"], names
    Book.objects.all().delete()
    a = Author.objects.get(name="dup")
    b = Book.objects.create(author=a, title="old", isbn="i1")
    Book.objects.bulk_create([Book(id=b.id, author=a, title="newer", isbn="i1")],
                             update_conflicts=True, unique_fields=["id"], update_fields=["title"])
    t = Book.objects.get(pk=b.id).title
    assert t == "newer", t


def transactions():
    Author.objects.all().delete()
    with transaction.atomic():
        Author.objects.create(name="tx1")
    try:
        with transaction.atomic():
            Author.objects.create(name="tx2")
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    names = list(Author.objects.values_list("name", flat=True))
    assert names == ["tx1"], names
    # A failed statement aborts the block: the next one gets 25P02.
    conn = connections["default"]
    with transaction.atomic():
        with conn.cursor() as c:
            try:
                c.execute("SELECT * FROM no_such_table_dj")
            except DatabaseError:
                pass
            try:
                c.execute("SELECT 1")
                return (False, "statement after a failed one succeeded")
            except DatabaseError as e:
                code = sqlstate(e)[0]
                if code != "25P02":
                    return (False, f"sqlstate {code}, want 25P02")
        transaction.set_rollback(True)


def savepoint():
    Author.objects.all().delete()
    with transaction.atomic():
        Author.objects.create(name="outer")
        try:
            with transaction.atomic():
                Author.objects.create(name="inner")
                Author.objects.create(name="outer")  # 23505 inside the savepoint
        except IntegrityError:
            pass
        Author.objects.create(name="after")
    names = sorted(Author.objects.values_list("name", flat=True))
    assert names == ["after", "outer"], names


def errors():
    Author.objects.all().delete()
    Author.objects.create(name="e")
    errs = []
    try:
        Author.objects.create(name="e")
        errs.append("no 23505")
    except IntegrityError as e:
        code, constraint = sqlstate(e)
        if code != "23505" or not constraint or "name" not in constraint:
            errs.append(f"23505: got {code} constraint {constraint}")
    try:
        Book.objects.create(author_id=None, title="x", isbn="z")
        errs.append("no 23502")
    except IntegrityError as e:
        if sqlstate(e)[0] != "23502":
            errs.append(f"23502: got {sqlstate(e)}")
    for sql, want in (("SELECT * FROM dj_missing", "42P01"), ("SELECT nope FROM compatapp_author", "42703")):
        try:
            select_one("default", sql)
            errs.append(f"no {want}")
        except DatabaseError as e:
            if sqlstate(e)[0] != want:
                errs.append(f"{want}: got {sqlstate(e)}")
    if Author.objects.count() != 1:
        errs.append("connection unusable afterwards")
    return errs


def reuse():
    """Server-side binding (psycopg's extended protocol and its prepare threshold): the same
    ORM query 10 times, in and across transactions."""
    objs = Author.objects.using("server_side")
    objs.all().delete()
    for i in range(10):
        with transaction.atomic(using="server_side"):
            objs.create(name=f"r{i}")
            n = objs.filter(name__startswith="r").count()
            assert n == i + 1, (i, n)
    got = [objs.get(name=f"r{i}").name for i in range(10)]
    assert got == [f"r{i}" for i in range(10)], got


def multihost():
    v = select_one("multihost", "SELECT current_database()")[0]
    assert v == E["PGDATABASE"], v
    info = connections["multihost"].connection.info
    assert str(info.port) == E["PGPORT"], info.port


def introspection():
    """What `migrate`, `inspectdb` and the schema editor read back."""
    conn = connections["default"]
    errs = []
    with conn.cursor() as c:
        tables = conn.introspection.table_names(c)
        for t in ("compatapp_author", "compatapp_book", "django_migrations"):
            if t not in tables:
                errs.append(f"table_names lacks {t}: {tables}")
        cols = [f.name for f in conn.introspection.get_table_description(c, "compatapp_book")]
        if cols != ["id", "title", "price", "author_id", "isbn"]:
            errs.append(f"columns {cols}")
        rel = conn.introspection.get_relations(c, "compatapp_book")
        if rel.get("author_id", (None, None))[1] != "compatapp_author":
            errs.append(f"relations {rel}")
        cons = conn.introspection.get_constraints(c, "compatapp_book")
        if not any(v["primary_key"] and v["columns"] == ["id"] for v in cons.values()):
            errs.append(f"no primary key in constraints {cons}")
        if "dj_book_title_price" not in cons or cons["dj_book_title_price"]["columns"] != ["title", "price"]:
            errs.append(f"composite index: {cons.get('dj_book_title_price')}")
        if not any(v["foreign_key"] == ("compatapp_author", "id") for v in cons.values()):
            errs.append("no foreign key in constraints")
        seqs = conn.introspection.get_sequences(c, "compatapp_book")
        if not seqs or seqs[0].get("column") != "id":
            errs.append(f"sequences {seqs}")
    out = io.StringIO()
    call_command("inspectdb", "compatapp_book", stdout=out)
    if "author = models.ForeignKey('CompatappAuthor'" not in out.getvalue():
        errs.append("inspectdb: " + out.getvalue()[-300:])
    return errs


def migration_rollback():
    call_command("migrate", "compatapp", "zero", verbosity=0, interactive=False)
    with connections["default"].cursor() as c:
        left = [t for t in connections["default"].introspection.table_names(c) if t.startswith("compatapp_")]
    assert not left, left


run_all([
    ("connect", alias_works("default")),
    ("tls_require", alias_works("tls_require")),
    ("tls_verify_full", alias_works("tls_verify_full")),
    ("wrong_password", wrong_password),
    ("server_info", server_info),
    ("ddl", ddl),
    ("crud_text", crud("default")),
    ("crud_binary", lambda: (None, "Django's psycopg backend reads text results only")),
    ("returning", returning),
    ("on_conflict", on_conflict),
    ("transactions", transactions),
    ("savepoint", savepoint),
    ("errors", errors),
    ("reuse", reuse),
    ("pipeline", lambda: (None, "Django sends one statement at a time")),
    ("cancel", lambda: (None, "Django has no query cancel API")),
    ("multihost", multihost),
    ("introspection", introspection),
    ("migration_rollback", migration_rollback),
])
