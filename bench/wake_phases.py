#!/usr/bin/env python3
"""Where a wake's time goes: restarts a stopped 3-replica rqlite cluster (as pgrq's
hibernate/wake does: SIGTERM, then start all replicas at once on their data) and stamps
each replica's log lines as they arrive, giving per wake:

  exec      spawn -> rqlited's first log line (process start, Go runtime)
  open      -> "node HTTP API available" (store open: snapshot check, Raft log, SQLite)
  election  -> first "is now Leader" on any replica
  ready     -> every replica answers /readyz 200 (polled every 5 ms)

usage: bench/wake_phases.py RQLITED [CYCLES] [RAFT_TIMEOUT] [EXTRA_FLAG ...]
e.g.   bench/wake_phases.py /tmp/rqbuild/rqlited 30 250ms
RAFT_TIMEOUT sets -raft-heartbeat-timeout/-raft-election-timeout (lease: half), as pgrq's
rqlite.raft_timeout does; "default" leaves rqlite's 1s. Ports 29101-29103/29201-29203.
"""
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HTTP = [29101, 29102, 29103]
RAFT = [29201, 29202, 29203]


def raft_flags(t):
    if t == "default":
        return []
    ms = int(re.match(r"(\d+)ms$", t).group(1))
    return [f"-raft-heartbeat-timeout={ms}ms", f"-raft-election-timeout={ms}ms",
            f"-raft-leader-lease-timeout={max(ms // 2, 5)}ms"]


class Replica:
    def __init__(self, binary, i, data, flags):
        self.i, self.binary, self.data, self.flags = i, binary, data, flags
        self.proc, self.lines = None, []

    def start(self, fresh):
        args = [self.binary, "-node-id", f"n{self.i + 1}",
                "-http-addr", f"127.0.0.1:{HTTP[self.i]}",
                "-raft-addr", f"127.0.0.1:{RAFT[self.i]}",
                "-raft-cluster-remove-shutdown=false", "-fk"] + self.flags
        if fresh:
            j = ",".join(f"127.0.0.1:{p}" for p in RAFT)
            args += ["-join", j, "-bootstrap-expect", "3"]
        args.append(self.data)
        self.lines = []
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.append((time.monotonic(), raw.decode(errors="replace")))

    def first(self, needle):
        for t, line in list(self.lines):
            if needle in line:
                return t
        return None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return r.status == 200
    except Exception:
        return False


def execute(sql):
    req = urllib.request.Request(f"http://127.0.0.1:{HTTP[0]}/db/execute",
                                 data=('["' + sql + '"]').encode(),
                                 headers={"Content-Type": "application/json"})
    for _ in range(200):
        try:
            urllib.request.urlopen(req, timeout=5).read()
            return
        except Exception:
            time.sleep(0.05)
    raise SystemExit(f"cannot run {sql}")


def wait_all_ready(deadline=30):
    t_end = time.monotonic() + deadline
    pending = set(HTTP)
    while pending and time.monotonic() < t_end:
        for p in list(pending):
            if ready(p):
                pending.discard(p)
        if pending:
            time.sleep(0.005)
    if pending:
        raise SystemExit(f"not ready: {pending}")
    return time.monotonic()


def main():
    binary = sys.argv[1]
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    timeout = sys.argv[3] if len(sys.argv) > 3 else "250ms"
    flags = raft_flags(timeout) + sys.argv[4:]
    for p in HTTP + RAFT:  # fails loudly if a port is in use
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", p))
        s.close()
    with tempfile.TemporaryDirectory() as d:
        reps = [Replica(binary, i, os.path.join(d, f"n{i + 1}"), flags) for i in range(3)]
        try:
            for r in reps:
                r.start(fresh=True)
            wait_all_ready()
            execute("CREATE TABLE t (x INTEGER)")
            phases = {k: [] for k in ("exec", "open", "election", "ready", "total")}
            for c in range(cycles):
                execute(f"INSERT INTO t VALUES ({c})")
                for r in reps:
                    r.stop()
                t0 = time.monotonic()
                for r in reps:
                    r.start(fresh=False)
                t_ready = wait_all_ready()
                time.sleep(0.05)  # let the last log lines arrive
                first_line = max(r.first("rqlited starting") or t0 for r in reps)
                opened = max(r.first("node HTTP API available") or t0 for r in reps)
                leader = min(t for t in (r.first("is now Leader") for r in reps) if t)
                phases["exec"].append(first_line - t0)
                phases["open"].append(opened - first_line)
                phases["election"].append(max(leader - opened, 0))
                phases["ready"].append(t_ready - max(leader, opened))
                phases["total"].append(t_ready - t0)
        finally:
            for r in reps:
                if r.proc and r.proc.poll() is None:
                    r.proc.kill()
                    r.proc.wait()
    print(f"rqlited flags: {' '.join(flags) or '(defaults)'}; {cycles} wakes of a 3-replica cluster")
    print("phase      p50 ms   p99 ms")
    for k, v in phases.items():
        v = sorted(v)
        p99 = v[min(len(v) - 1, len(v) * 99 // 100)]
        print(f"{k:9} {statistics.median(v) * 1000:7.1f}  {p99 * 1000:7.1f}")


if __name__ == "__main__":
    main()
