"""bench/write_lock_hook: the instrument bench/write_lock.py loads into `koppeling up` times every
hold of the store's write lock by holder, each write's time in its group commit and each request
a Flask app answers. Checked on a real file store in a fresh interpreter, so
that a rename inside the store fails here rather than print an empty table."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    """bench/write_lock.py, whose reader (``load``) the test reads the figures with."""
    spec = importlib.util.spec_from_file_location("write_lock", ROOT / "bench/write_lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


write_lock = _bench()

SCRIPT = """
import sys, time
from pathlib import Path
from sqlalchemy import text
from koppeling.harness.commits import committer
from koppeling.harness.store import Database

db = Database.file(Path(sys.argv[1]) / "state.sqlite")
with db.begin() as conn:
    conn.execute(text("CREATE TABLE t (x INTEGER)"))
committer(db).run(lambda conn: conn.execute(text("INSERT INTO t VALUES (1)")))
committer(db).run(lambda conn: conn.execute(text("INSERT INTO t VALUES (2)")))
from koppeling.harness import writer


@writer.write
def insert_three(conn):
    conn.execute(text("INSERT INTO t VALUES (3)"))


committer(db).call(insert_three)  # no writer process here: run in the group commit
from flask import Flask  # patched as it is imported

app = Flask("probe")
app.get("/x")(lambda: "ok")
assert app.test_client().get("/x").status_code == 200
time.sleep(1.2)  # the hook writes its figures every 0.5 s
"""


def test_the_hook_times_the_lock_by_holder_the_group_commits_and_the_requests(
    tmp_path: Path,
) -> None:
    figures = tmp_path / "figures"
    env = dict(os.environ)
    env["KOPPELING_BENCH_WRITE_LOCK"] = str(figures)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench/write_lock_hook"), str(ROOT)])
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], env=env, check=True, timeout=60)
    (found,) = figures.glob("*.jsonl")  # one process: one file of lines, read as the bench does
    holds = write_lock.load(figures)
    assert len(holds["commit @ state.sqlite"]["hold"]) == 3  # the three group-commit writes
    assert len(holds["other write @ state.sqlite"]["hold"]) >= 1  # CREATE TABLE, on its own
    locks = [kind for kind in holds.values() if "hold" in kind]
    assert all(ms >= 0 for kind in locks for ms in kind["wait"] + kind["hold"])
    assert len(holds["group commit @ state.sqlite"]["wall"]) == 3  # each write's wait
    assert len(holds["hot write @ state.sqlite"]["wall"]) == 1  # the one sent by call()
    (request,) = holds["request GET /x"]["wall"]
    assert request >= holds["request GET /x"]["cpu"][0] >= 0


def test_without_the_variable_the_hook_does_nothing(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.pop("KOPPELING_BENCH_WRITE_LOCK", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench/write_lock_hook"), str(ROOT)])
    probe = "import sys; print('koppeling.harness.store' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True
    )
    assert out.stdout.strip() == "False"  # not even imported
