"""asyncpg used as its users do: binary everywhere, named statements, fetchrow (max_rows=1),
executemany pipelines, timeouts that send a CancelRequest, multi-host lists."""
import asyncio, json, os, ssl, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import asyncpg
from expect import E, ROW, COLS, DDL, diff_row, special_floats, emit
import traceback

KW = dict(host=E["PGHOST"], port=int(E["PGPORT"]), user=E["PGUSER"], password=E["PGPASSWORD"],
          database=E["PGDATABASE"], timeout=30)


async def conn(ssl_mode=False, **kw):
    c = await asyncpg.connect(**dict(KW, ssl=ssl_mode, **kw))
    await c.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await c.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    return c


async def connect():
    c = await conn()
    assert await c.fetchval("SELECT 1") == 1
    await c.close()


async def tls_require():
    c = await conn("require")
    assert await c.fetchval("SELECT 1") == 1
    await c.close()


async def tls_verify_full():
    ctx = ssl.create_default_context(cafile=E["COMPAT_CA"])
    c = await conn(ctx)
    assert await c.fetchval("SELECT 1") == 1
    await c.close()


async def wrong_password():
    try:
        await asyncpg.connect(**dict(KW, password="wrong", ssl=False))
    except asyncpg.InvalidPasswordError as e:
        return (e.sqlstate == "28P01", str(e))
    return (False, "connected")


async def server_info():
    c = await conn()
    r = await c.fetchrow("SELECT version(), current_schema(), current_database()")
    ok = r[0].startswith("PostgreSQL 1") and r[1] == "public" and r[2] == E["PGDATABASE"] and c.get_server_version().major >= 14
    await c.close()
    return (ok, f"{tuple(r)} {c.get_server_version()}")


async def ddl():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS child; DROP TABLE IF EXISTS parent")
    await c.execute("CREATE TABLE parent (id serial PRIMARY KEY, code text UNIQUE NOT NULL)")
    await c.execute("CREATE TABLE child (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                    "parent_id int NOT NULL REFERENCES parent(id), note varchar(50))")
    await c.execute("CREATE INDEX child_parent_idx ON child (parent_id)")
    pid = await c.fetchval("INSERT INTO parent (code) VALUES ($1) RETURNING id", "a")
    cid = await c.fetchval("INSERT INTO child (parent_id, note) VALUES ($1, $2) RETURNING id", pid, "n")
    assert (pid, cid) == (1, 1), (pid, cid)
    try:
        await c.execute("INSERT INTO child (parent_id) VALUES ($1)", 999)
        return (False, "FK not enforced")
    except asyncpg.ForeignKeyViolationError:
        pass
    await c.close()


async def crud_binary():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS types")
    await c.execute(DDL)
    ph = ", ".join(f"${i + 2}" for i in range(len(COLS)))
    st = await c.execute(f"INSERT INTO types (id, {', '.join(COLS)}) VALUES ($1, {ph})", 1, *[ROW[k] for k in COLS])
    errs = [] if st == "INSERT 0 1" else [f"tag {st}"]
    nan_err = None
    try:
        await c.executemany("INSERT INTO types (id, f8) VALUES ($1, $2)", [(2, float("nan")), (3, float("inf")), (4, float("-inf"))])
    except asyncpg.PostgresError as e:
        nan_err = f"NaN/±Infinity insert: {e.sqlstate} {e}"
        errs.append(nan_err)
    await c.execute(f"INSERT INTO types (id, {', '.join(COLS)}) VALUES ($1, {ph})", 5, *[None] * len(COLS))
    r = await c.fetchrow(f"SELECT {', '.join(COLS)} FROM types WHERE id = $1", 1)
    errs += diff_row(dict(r))
    if not nan_err:
        errs += special_floats([x[0] for x in await c.fetch("SELECT f8 FROM types WHERE id IN (2, 3, 4) ORDER BY id")])
    r = await c.fetchrow(f"SELECT {', '.join(COLS)} FROM types WHERE id = 5")
    if any(v is not None for v in r.values()):
        errs.append("NULL row came back non-NULL")
    st = await c.execute("DELETE FROM types WHERE id > $1", 1)
    if st != ("DELETE 1" if nan_err else "DELETE 4"):
        errs.append(f"tag {st}")
    await c.close()
    return errs


async def returning():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS r; CREATE TABLE r (id serial PRIMARY KEY, v int)")
    rows = await c.fetch("INSERT INTO r (v) VALUES ($1), ($2), ($3) RETURNING id, v * 2 AS d", 10, 20, 30)
    assert [tuple(x) for x in rows] == [(1, 20), (2, 40), (3, 60)], rows
    st = await c.execute("UPDATE r SET v = v + 1 WHERE v >= $1", 20)
    assert st == "UPDATE 2", st
    await c.close()


async def on_conflict():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS kv; CREATE TABLE kv (k text PRIMARY KEY, v int)")
    await c.execute("INSERT INTO kv VALUES ($1, $2), ($3, $4)", "a", 1, "b", 2)
    st = await c.execute("INSERT INTO kv VALUES ($1, $2) ON CONFLICT DO NOTHING", "a", 9)
    assert st == "INSERT 0 0", st
    v = await c.fetchval("INSERT INTO kv VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v RETURNING v", "b", 5)
    assert v == 7, v
    await c.close()


async def transactions():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS tx; CREATE TABLE tx (id int PRIMARY KEY)")
    async with c.transaction():
        await c.execute("INSERT INTO tx VALUES ($1)", 1)
    try:
        async with c.transaction():
            await c.execute("INSERT INTO tx VALUES ($1)", 2)
            raise RuntimeError
    except RuntimeError:
        pass
    tr = c.transaction()
    await tr.start()
    try:
        await c.execute("INSERT INTO tx VALUES ($1)", 1)
    except asyncpg.UniqueViolationError:
        pass
    try:
        await c.fetchval("SELECT 1")
        return (False, "no 25P02")
    except asyncpg.InFailedSQLTransactionError:
        pass
    await tr.rollback()
    ids = [r[0] for r in await c.fetch("SELECT id FROM tx ORDER BY id")]
    assert ids == [1], ids
    await c.close()


async def savepoint():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS sp; CREATE TABLE sp (id int PRIMARY KEY)")
    async with c.transaction():
        await c.execute("INSERT INTO sp VALUES (1)")
        try:
            async with c.transaction():
                await c.execute("INSERT INTO sp VALUES (1)")
        except asyncpg.UniqueViolationError:
            pass
        await c.execute("INSERT INTO sp VALUES (2)")
    ids = [r[0] for r in await c.fetch("SELECT id FROM sp ORDER BY id")]
    assert ids == [1, 2], ids
    await c.close()


async def errors():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS e; CREATE TABLE e (id int PRIMARY KEY, name text UNIQUE, req int NOT NULL)")
    await c.execute("INSERT INTO e VALUES ($1, $2, $3)", 1, "x", 1)
    got = []
    for sql, args, want in [("INSERT INTO e VALUES ($1, $2, $3)", (2, "x", 1), "23505"),
                            ("SELECT * FROM no_such_table", (), "42P01"),
                            ("SELECT no_such_column FROM e", (), "42703"),
                            ("INSERT INTO e (id, name) VALUES ($1, $2)", (3, "y"), "23502")]:
        try:
            await c.execute(sql, *args)
            got.append(f"{want}: no error")
        except asyncpg.PostgresError as e:
            if e.sqlstate != want:
                got.append(f"{want}: got {e.sqlstate} {e}")
            elif want == "23505" and e.constraint_name != "e_name_key":
                got.append(f"23505 constraint_name {e.constraint_name!r}")
    if await c.fetchval("SELECT count(*) FROM e") != 1:
        got.append("connection unusable afterwards")
    await c.close()
    return got


async def reuse():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS ru; CREATE TABLE ru (id int PRIMARY KEY, v text)")
    ins = await c.prepare("INSERT INTO ru VALUES ($1, $2)")
    sel = await c.prepare("SELECT v FROM ru WHERE id = $1")
    for i in range(8):
        await ins.fetch(i, f"v{i}")
        assert await sel.fetchval(i) == f"v{i}"
    for i in range(8, 11):
        async with c.transaction():
            await ins.fetch(i, f"v{i}")
            assert await sel.fetchrow(i) is not None
    assert await c.fetchval("SELECT count(*) FROM ru") == 11
    await c.close()


async def pipeline():
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS pl; CREATE TABLE pl (id int PRIMARY KEY, v text)")
    await c.executemany("INSERT INTO pl VALUES ($1, $2)", [(i, str(i)) for i in range(50)])
    n = await c.fetchval("SELECT count(*) FROM pl")
    try:
        await c.executemany("INSERT INTO pl VALUES ($1, $2)", [(100, "a"), (1, "dup"), (101, "b")])
    except asyncpg.UniqueViolationError:
        pass
    n2 = await c.fetchval("SELECT count(*) FROM pl")
    await c.close()
    return (n == 50 and n2 == 50, f"counts {n}, {n2} (a failed executemany must not apply any row)")


async def cancel():
    c = await conn()
    t = time.time()
    try:
        await c.fetchval("WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200000000) "
                         "SELECT count(*) FROM c", timeout=1.0)
        return (False, "finished")
    except asyncio.TimeoutError:
        pass
    took = time.time() - t
    ok = await c.fetchval("SELECT 1") == 1
    await c.close()
    return (ok and took < 10, f"timeout after {took:.1f}s")


async def multihost():
    c = await asyncpg.connect(host=["127.0.0.1", E["PGHOST"]], port=[int(E["COMPAT_DEAD_PORT"]), int(E["PGPORT"])],
                              user=E["PGUSER"], password=E["PGPASSWORD"], database=E["PGDATABASE"], ssl=False,
                              target_session_attrs="read-write", timeout=30)
    assert await c.fetchval("SELECT 1") == 1
    await c.close()


async def introspection():
    # A type asyncpg does not know built in (an array of a domain-less composite) makes it
    # run its typeinfo_tree introspection query; int4[] is built in, so use the row type.
    c = await conn()
    await c.execute("DROP TABLE IF EXISTS it; CREATE TABLE it (a int, b text)")
    await c.execute("INSERT INTO it VALUES (1, 'x')")
    v = await c.fetchval("SELECT array_agg(a) FROM it")
    assert v == [1], v
    t = await c.fetchval("SELECT count(*) FROM pg_catalog.pg_type WHERE typname = $1", "int4")
    assert t == 1, t
    await c.close()


async def main():
    for name, fn in [("connect", connect), ("tls_require", tls_require), ("tls_verify_full", tls_verify_full),
                     ("wrong_password", wrong_password), ("server_info", server_info), ("ddl", ddl),
                     ("crud_binary", crud_binary), ("returning", returning), ("on_conflict", on_conflict),
                     ("transactions", transactions), ("savepoint", savepoint), ("errors", errors),
                     ("reuse", reuse), ("pipeline", pipeline), ("multihost", multihost),
                     ("introspection", introspection), ("cancel", cancel)]:
        try:
            r = await asyncio.wait_for(fn(), 120)
            if r is None:
                emit(name, True)
            elif isinstance(r, tuple):
                emit(name, *r)
            else:
                emit(name, not r, "; ".join(r))
        except Exception as e:
            emit(name, False, f"{type(e).__name__} {getattr(e, 'sqlstate', '') or ''}: {e}")
            traceback.print_exc(file=sys.stderr)
    emit("crud_text", None, "asyncpg reads binary only")

asyncio.run(main())
