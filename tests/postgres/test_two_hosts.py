"""Two `koppeling up` processes on one PostgreSQL store behave as one harness.

Host A runs every service and the SMTP sink; host B runs every service too but sends its mail to
A's sink (``--smtp-host``). The scenarios run in two halves at once (``-n 2`` each, four
workers in all), each against a mix of both hosts: one half uses A's testcentrum, esis and
klantenservice with B's parnassys, Schoolkr8 and mailbox, the other half the mirror. So every
flow crosses hosts, and whichever host holds the forwarder's and the poller's lease does that
work for both. The whole scenario suite runs this way (every family), then `koppeling verify`
checks every provider's contracts on one host or the other. Afterwards
the store itself is checked: no result lost, none forwarded that was
normed before activation, no claim left open, exactly one decision mail per decided aanvraag.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, select

from koppeling.harness.leases import leases_table
from mocks.klantenservice.service import AFZENDER
from mocks.klantenservice.store import MAIL_VERZONDEN, aanvragen_table
from mocks.mailbox.store import messages_table
from mocks.schoolkr8.store import resultaten_table
from mocks.testcentrum.afnames.store import (
    CLAIMED,
    ELIGIBLE,
    SENT,
    afnames_table,
    outbox_table,
    resultaat_key,
)
from scenarios.config import SCENARIO_OPTIONS

KOPPELING = str(Path(sys.executable).parent / "koppeling")
URL_LINE = re.compile(r"^  (.+?)\s{2,}(http://127\.0\.0\.1:\d+)$")
SMTP_LINE = re.compile(r"^  SMTP \(mailbox sink\)\s+smtp://127\.0\.0\.1:(\d+)$")
NAMES = {
    "Boom testcentrum (stand-in)": "testcentrum",
    "ParnasSys (LAS)": "parnassys",
    "ESIS (LAS)": "esis",
    "Schoolkr8": "schoolkr8",
    "Boom klantenservice": "klantenservice",
    "Mailbox (SMTP sink)": "mailbox",
}


def service_options() -> list[str]:
    """The scenarios' fast retries and polls, as `--service-option` arguments."""
    args: list[str] = []
    for service, options in SCENARIO_OPTIONS.items():
        for name, value in options.items():
            args += ["--service-option", f"{service}.{name}={json.dumps(value)}"]
    return args


@contextmanager
def koppeling_up(*args: str) -> Iterator[tuple[dict[str, str], int | None]]:
    """`koppeling up ARGS` until announced: (service name -> URL, the SMTP sink's port)."""
    proc = subprocess.Popen(
        [KOPPELING, "up", "--port-base", "0", "--workers", "2", "--threads", "8", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    urls: dict[str, str] = {}
    smtp: int | None = None
    try:
        while True:
            line = lines.get(timeout=120)
            if line is None:
                assert proc.stderr is not None
                raise AssertionError(f"koppeling up exited: {proc.wait()} {proc.stderr.read()}")
            if line.startswith("  store:"):
                break
            if match := URL_LINE.match(line.rstrip("\n")):
                urls[NAMES[match.group(1)]] = match.group(2)
            elif match := SMTP_LINE.match(line.rstrip("\n")):
                smtp = int(match.group(1))
        yield urls, smtp
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()
        proc.stderr.close()
    assert code == 0


#: The scenarios of the acceptance flow and of every exactly-once rule (the whole suite across two
#: hosts takes minutes more than the CI budget allows; it runs the same way by hand, see
#: docs/postgres.md). Scenarios that need the in-process harness are skipped against hosts.


def scenario_names() -> list[str]:
    """Every scenario family the suite has (``koppeling scenario list``), so a new one runs
    across both hosts too."""
    listed = subprocess.run(
        [KOPPELING, "scenario", "list"], capture_output=True, text=True, check=True
    ).stdout
    names = sorted(
        {line.split()[0].split("[")[0] for line in listed.splitlines() if line[:1].isalpha()}
    )
    assert len(names) >= 20, listed  # the whole suite, not a stray subset
    return names


def against(path: Path, urls: dict[str, str]) -> Path:
    path.write_text(
        "[services]\n" + "".join(f'{name} = "{url}"\n' for name, url in urls.items()),
        encoding="utf-8",
    )
    return path


def test_two_hosts_on_one_postgres_store_run_the_scenarios_as_one_harness(
    pg_database: Callable[[], str], tmp_path: Path
) -> None:
    url = pg_database()
    common = ["--store", url, *service_options()]
    with koppeling_up(*common) as (a, smtp):
        assert smtp is not None and "mailbox" in a
        with koppeling_up(*common, "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp)) as (
            b,
            no_sink,
        ):
            assert no_sink is None  # B runs no sink: its mail goes to A's
            assert set(a) == set(b) == set(NAMES.values())
            x = {**a, "parnassys": b["parnassys"], "schoolkr8": b["schoolkr8"]}
            x["mailbox"] = b["mailbox"]
            y = {name: (a[name] if x[name] == b[name] else b[name]) for name in x}
            names = scenario_names()
            halves = [names[0::2], names[1::2]]
            runs = [
                subprocess.Popen(
                    [
                        KOPPELING,
                        "scenario",
                        "run",
                        *half,
                        "-n",
                        "2",
                        "--against",
                        str(against(tmp_path / f"against-{i}.toml", urls)),
                        "--out",
                        str(tmp_path / f"out-{i}"),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for i, (half, urls) in enumerate(zip(halves, (x, y), strict=True))
            ]
            outputs = [run.communicate(timeout=900)[0] for run in runs]
            for run, output in zip(runs, outputs, strict=True):
                assert run.returncode == 0, output[-4000:]
                assert " passed" in output and "failed" not in output.split("\n")[-2]
            # the contracts too, each provider on the host that did not set up the other's
            # states: B's LAS and Schoolkr8, A's ESIS and klantenservice (B's mail lands in A's
            # sink, read back through whichever host's mailbox API)
            for provider, host in (
                ("parnassys-uwlr", b["parnassys"]),
                ("schoolkr8", b["schoolkr8"]),
                ("esis-uwlr", a["esis"]),
                ("boom-klantenservice", a["klantenservice"]),
            ):
                verified = subprocess.run(
                    [KOPPELING, "verify", provider, "--base-url", host],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                assert verified.returncode == 0, (provider, verified.stdout[-3000:])

    engine = create_engine(url)
    with engine.connect() as conn:
        leases = {r.name: r.holder for r in conn.execute(select(leases_table))}
        sent = {
            (r.school, resultaat_key(r.afname_id))
            for r in conn.execute(select(outbox_table).where(outbox_table.c.status == SENT))
        }
        open_claims = conn.execute(
            select(outbox_table.c.id).where(outbox_table.c.status == CLAIMED)
        ).all()
        eligible = {
            (r.school, resultaat_key(r.id))
            for r in conn.execute(
                select(afnames_table.c.id, afnames_table.c.school).where(
                    afnames_table.c.doorsturing == ELIGIBLE
                )
            )
        }
        at_schoolkr8 = {
            (r.school, r.key)
            for r in conn.execute(select(resultaten_table.c.school, resultaten_table.c.key))
            if r.key.startswith("boom-tc-")
        }
        aanvragen = list(conn.execute(select(aanvragen_table)))
        mails = [
            (json.loads(r.from_json), r.to_json)
            for r in conn.execute(select(messages_table.c.from_json, messages_table.c.to_json))
        ]
    engine.dispose()

    assert set(leases) == {"testcentrum.forwarder", "testcentrum.aanvraag-poller"}
    assert sent, "the scenarios forwarded nothing"
    assert sent <= at_schoolkr8, f"lost: {sorted(sent - at_schoolkr8)[:5]}"
    assert at_schoolkr8 <= eligible, "a result normed before activation reached Schoolkr8"
    assert open_claims == []
    decided = [a for a in aanvragen if a.mail_status == MAIL_VERZONDEN]
    assert decided, "no aanvraag was decided"
    per_address: dict[str, int] = {}
    for aanvraag in decided:
        per_address[aanvraag.beheerder_email] = per_address.get(aanvraag.beheerder_email, 0) + 1
    for address, expected in per_address.items():
        got = sum(
            1 for sender, to in mails if sender.get("Address") == AFZENDER and f'"{address}"' in to
        )
        assert got == expected, f"{address}: {got} decision mail(s) for {expected} aanvraag(en)"
