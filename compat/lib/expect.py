"""Shared by the Python suites: the scenario runner and the typed row every client writes
and reads back (values chosen to cross each type's edge cases)."""
import datetime as dt
import decimal
import json
import math
import os
import sys
import traceback
import uuid

E = os.environ
TZ = dt.timezone(dt.timedelta(hours=5, minutes=30))
ROW = {
    "i2": -32768, "i4": 2147483647, "i8": 9000000000000000000, "f8": 1.5,
    "num": decimal.Decimal("12.30"), "t": "hé 'q'", "vc": "vc", "b": True, "by": b"\x00\xff\x00",
    "d": dt.date(2024, 2, 29), "ts": dt.datetime(2024, 2, 29, 13, 14, 15, 500000),
    "tstz": dt.datetime(2024, 2, 29, 13, 14, 15, tzinfo=TZ),
    "u": uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), "j": {"a": [1, 2]}, "jb": {"b": 2, "a": 1},
}
COLS = list(ROW)
DDL = ("CREATE TABLE types (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8, f8 float8, num numeric(10,2), "
       "t text, vc varchar(20), b bool, by bytea, d date, ts timestamp, tstz timestamptz, u uuid, j json, jb jsonb)")


def emit(s, ok, msg=""):
    print(json.dumps({"scenario": s, "ok": ok, "message": str(msg)[:400]}), flush=True)


def diff_row(got, want=ROW):
    """Column-by-column differences between a fetched row (dict) and the expected one."""
    out = []
    for c, w in want.items():
        g = got.get(c)
        if isinstance(w, dict) and isinstance(g, str):
            g = json.loads(g)
        if isinstance(w, bytes) and isinstance(g, memoryview):
            g = bytes(g)
        if c == "tstz" and isinstance(g, dt.datetime) and g.tzinfo is not None:
            same = g == w
        else:
            # isinstance: a driver may return its own subclass (asyncpg's pgproto.UUID).
            same = (g == w and isinstance(g, type(w)) and isinstance(g, bool) == isinstance(w, bool)
                    or (isinstance(w, float) and g == w))
        if not same:
            out.append(f"{c}: got {g!r} want {w!r}")
    return out


def special_floats(vals):
    want = ["nan", "inf", "-inf"]
    got = ["nan" if isinstance(v, float) and math.isnan(v) else repr(v) for v in vals]
    return [] if got == want else [f"NaN/±Infinity: got {got}"]


def run_all(scenarios):
    for name, fn in scenarios:
        try:
            r = fn()
            if r is None:
                emit(name, True)
            elif isinstance(r, tuple):
                emit(name, *r)
            else:
                emit(name, not r, "; ".join(r))
        except Exception as e:
            sqlstate = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
            emit(name, False, f"{type(e).__name__}{' ' + sqlstate if sqlstate else ''}: {e}".strip())
            traceback.print_exc(file=sys.stderr)
