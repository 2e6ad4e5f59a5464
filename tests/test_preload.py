"""`koppeling up`'s server process, forked at the command's start and told later what to serve
(koppeling/harness/preload.py, koppeling/cli/entry.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from koppeling.cli.entry import forks_ahead
from koppeling.harness import preload

KOPPELING = str(Path(sys.executable).parent / "koppeling")

# The work handed over is named "module:function": in a script run with -c that is __main__,
# which the forked child has too.
HAND_OVER = """
import os, sys
from koppeling.harness import preload
out = sys.argv[1]

def warm():
    with open(out + ".warm", "w") as f:
        f.write(str(os.getpid()))

def record(greeting, read):
    byte = os.read(read, 1).decode()  # the pipe stays open for more than the work
    with open(out, "w") as f:
        f.write(f"{greeting}|{os.getpid()}|{byte}")

preload.start(warm)
pid, write = preload.hand_over("__main__:record", "hello")
os.write(write, b"1")
os.close(write)
os.waitpid(pid, 0)
print(pid, os.getpid())
"""


def _ended(pid: int) -> bool:
    """Gone, or a zombie nobody reaps (a container's first process may not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_the_child_warms_up_then_runs_the_work_it_is_handed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", HAND_OVER, str(out)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    child, parent = done.stdout.split()
    assert child != parent
    assert (tmp_path / "out.warm").read_text() == child  # warm ran in the child
    assert out.read_text() == f"hello|{child}|1"


def test_nothing_forked_ahead_means_nothing_handed_over() -> None:
    assert preload.hand_over("os:getpid") is None  # the caller forks itself (or runs in-process)


@pytest.mark.parametrize("how", ["cancel", "parent-ends"])
def test_a_child_given_no_work_ends_quietly(tmp_path: Path, how: str) -> None:
    """`cancel` kills and reaps it at once, while it still warms up (another command; --server
    werkzeug; a usage error). A parent that ends without a word: the child reads the pipe's end
    once warmed up, and ends."""
    script = f"""
import os, sys, time
from koppeling.harness import preload
marker = sys.argv[1]

def warm():
    with open(marker, "w") as f:
        f.write(str(os.getpid()))
    time.sleep({30 if how == "cancel" else 0.2})

preload.start(warm)
while not os.path.exists(marker) or not open(marker).read():
    time.sleep(0.01)
if {how == "cancel"!r}:
    preload.cancel()
print(open(marker).read(), flush=True)
os._exit(0)
"""
    marker = tmp_path / "pid"
    done = subprocess.run(
        [sys.executable, "-c", script, str(marker)], capture_output=True, text=True, timeout=20
    )  # returns once every holder of stdout/stderr has closed it: the child too
    assert done.returncode == 0 and done.stderr == ""
    child = int(done.stdout)
    deadline = time.monotonic() + 10
    while not _ended(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _ended(child)


@pytest.mark.parametrize(
    ("args", "environ", "expected"),
    [
        (["up"], {}, True),
        (["up", "--port-base", "0", "--server", "gunicorn"], {}, True),
        (["up", "--server", "werkzeug"], {}, False),
        (["up", "--server=werkzeug"], {}, False),
        (["up"], {"KOPPELING_UP_SERVER": "werkzeug"}, False),
        (["up", "--server", "granian"], {"KOPPELING_UP_SERVER": "werkzeug"}, True),
        (["up", "--help"], {}, False),
        (["up", "-h"], {}, False),
        (["scenario", "run"], {}, False),
        ([], {}, False),
    ],
)
def test_the_entry_point_forks_ahead_only_for_a_forked_server(
    args: list[str], environ: dict[str, str], expected: bool
) -> None:
    assert forks_ahead(args, environ) is expected


def test_the_forked_ahead_process_imports_what_building_the_apps_needs(tmp_path: Path) -> None:
    """What the process forked ahead imports before it knows its options is what building the
    apps imports (the harness's, the partners', Flask, SQLAlchemy): nothing of it is left for
    the build, which runs once the options came. Not the CLI (`up`'s own process imports it,
    side by side), not granian (its workers load its core) and not gunicorn."""
    script = f"""
import sys
from pathlib import Path
from koppeling.cli.entry import import_server
import_server()
before = set(sys.modules)
from koppeling.harness import wsgi
from koppeling.harness.config import HarnessConfig
wsgi.build(HarnessConfig(port_base=0, state_dir=Path({str(tmp_path)!r})), store_checked=True)
ours = ("koppeling", "mocks", "flask", "werkzeug", "jinja2", "sqlalchemy", "lxml")
late = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ours)
unwanted = sorted(m for m in before if m in ("koppeling.cli.main", "granian", "gunicorn"))
print(late, unwanted)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"


def _leftovers(token: str) -> list[int]:
    """Processes whose command line holds ``token`` (a fork keeps its parent's)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if token.encode() in cmdline.read_bytes() and not _ended(int(cmdline.parent.name)):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize(
    ("extra", "code", "said"),
    [
        (["--no-such-option"], 2, "No such option"),
        (["--store", "postgresql+psycopg://qa:hunter2@127.0.0.1:1/k"], 1, "cannot open the store"),
    ],
    ids=["usage-error", "unreachable-store"],
)
def test_up_that_ends_early_leaves_no_process_behind(
    extra: list[str], code: int, said: str
) -> None:
    """The console script forks the server process first; `up` ending on a usage error or a
    store it cannot open (said as before) takes it along."""
    token = f"--allowed-host=t{uuid.uuid4().hex}"
    done = subprocess.run(
        [KOPPELING, "up", "--port-base", "0", token, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("KOPPELING_")},
    )
    assert done.returncode == code and said in done.stderr + done.stdout, done.stderr
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
    assert _leftovers(token) == []


def test_up_under_werkzeug_ends_a_process_forked_ahead_at_once() -> None:
    """Where the entry point forked ahead but `up` runs werkzeug (one process; an option the
    entry point's look missed), `up` ends the child before it starts, not when it exits."""
    script = """
import time
from click.testing import CliRunner
from koppeling.cli.main import main
from koppeling.harness import preload
preload.start(lambda: time.sleep(30))
url = "postgresql+psycopg://qa@127.0.0.1:1/k"  # unreachable: `up` ends right after
args = ["up", "--server", "werkzeug", "--port-base", "0", "--store", url]
result = CliRunner().invoke(main, args)
print(result.exit_code, preload._child is None)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20
    )  # with the child left alive it would hold stdout for 30 s: the timeout fails the test
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"]


def test_a_server_process_whose_imports_fail_is_reported_by_up(tmp_path: Path) -> None:
    """The process forked ahead fails while it imports (here a Flask that cannot be imported,
    first on the path): it says why, and `up` — whose own imports never include Flask — reports
    that the server ended, without a traceback of its own and without a process left behind."""
    (tmp_path / "flask").mkdir()
    (tmp_path / "flask" / "__init__.py").write_text('raise ImportError("a broken flask")\n')
    token = f"--allowed-host=t{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOPPELING_")}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [KOPPELING, "up", "--port-base", "0", "--memory", token],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 1, done.stderr
    assert "ImportError: a broken flask" in done.stderr
    assert "the server exited early" in done.stderr
    assert "BrokenPipeError" not in done.stderr
    assert _leftovers(token) == []


def test_up_hands_its_server_to_the_process_forked_before_the_cli(tmp_path: Path) -> None:
    """Every process logs the modules it imports itself (-X importtime): the server process,
    forked by the entry point before the CLI, imports SQLAlchemy on its own, beside `up`'s
    process, which imports the CLI; Flask only the server process. (Forked from `up` after
    the CLI, the server process would inherit SQLAlchemy: one line.)"""
    proc = subprocess.Popen(
        [KOPPELING, "up", "--port-base", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPROFILEIMPORTTIME="1"),
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("  store:"):
            break
    proc.terminate()
    _, errors = proc.communicate(timeout=60)
    imported = [line.rsplit("|", 1)[-1].strip() for line in errors.splitlines() if "|" in line]
    assert proc.returncode == 0, errors[-2000:]
    counts = {name: imported.count(name) for name in ("sqlalchemy", "koppeling.cli.main", "flask")}
    assert counts == {"sqlalchemy": 2, "koppeling.cli.main": 1, "flask": 1}


@pytest.mark.parametrize("ignored", [False, True], ids=["default", "ignored"])
def test_ctrl_c_ends_the_child_quietly_unless_up_ignores_it(ignored: bool) -> None:
    """Ctrl-C reaches the whole process group: the child, still importing, ends without a
    traceback; started with SIGINT ignored (a shell's background job), it ignores it as well."""
    script = f"""
import os, signal, sys, time
from koppeling.harness import preload
if {ignored!r}:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
preload.start(lambda: time.sleep(2))
pid = preload._child[0]
time.sleep(0.3)
os.kill(pid, signal.SIGINT)
time.sleep(0.3)
done, status = os.waitpid(pid, os.WNOHANG)
print("alive" if done == 0 else f"ended by signal {{os.WTERMSIG(status)}}")
preload.cancel()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.strip() == ("alive" if ignored else f"ended by signal {int(signal.SIGINT)}")
