"""``koppeling verify PROVIDER --base-url URL``: hold a partner's real service to the contracts.

A standalone click command (:data:`verify_command`) that the ``koppeling`` group attaches. It
replays every interaction the testcentrum (and the beheerder) expect of PROVIDER from the
committed pact files — or a Pact Broker — against the partner's base URL, and prints a readable
report: per interaction ok/FAILED, and for each failure the field (body path, header, status) with
what was expected and what came. Exit code 0 when every interaction passed, 1 when any failed,
2 for usage errors. Provider states go to ``--state-change-url`` (the partner implements the
names in docs/contracts.md); without it the harness's own setup API at the base URL is used,
which is how our mocks are verified — and then the harness's mailbox is found by asking the mock.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

PROVIDER_ALIASES = {
    "parnassys": "parnassys-uwlr",
    "esis": "esis-uwlr",
    "klantenservice": "boom-klantenservice",
}


def _provider(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from contracts.pactkit import PROVIDERS

    name = PROVIDER_ALIASES.get(value, value)
    if name not in PROVIDERS:
        raise click.BadParameter(f"expected one of {', '.join(PROVIDERS)}, got {value!r}")
    return name


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise click.BadParameter(f"expected an http(s):// URL, got {value!r}")
    return value.rstrip("/") if value else value


@click.command("verify")
@click.argument("provider", callback=_provider, metavar="PROVIDER")
@click.option(
    "--base-url",
    required=True,
    callback=_url,
    help="Base URL of the partner's service (e.g. http://127.0.0.1:8403).",
)
@click.option(
    "--state-change-url",
    callback=_url,
    default=None,
    help="The partner's provider-state endpoint (POST {state, params, action}). "
    "Default: the harness setup API at --base-url.",
)
@click.option(
    "--pact-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Directory with the pact files (default: contracts/pacts).",
)
@click.option(
    "--broker-url",
    callback=_url,
    default=None,
    help="Fetch pacts from this Pact Broker instead of --pact-dir.",
)
@click.option(
    "--mailbox-url",
    callback=_url,
    default=None,
    help="Mailpit-style mailbox receiving the partner's e-mails; also verifies the "
    "e-mail (message) contracts and states that need a mailed key. Default for our own "
    "mocks: their harness's mailbox.",
)
@click.option("--verbose", is_flag=True, help="Also print the Pact verifier's own output.")
def verify_command(
    provider: str,
    base_url: str,
    state_change_url: str | None,
    pact_dir: Path | None,
    broker_url: str | None,
    mailbox_url: str | None,
    verbose: bool,
) -> None:
    """Verify PROVIDER (parnassys-uwlr, esis-uwlr, schoolkr8, boom-klantenservice) at --base-url
    against the contracts; exit code 1 when any interaction fails."""
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # the edge: no analytics lookup
    try:
        import pact  # noqa: F401  (the verifier's FFI ships in pact-python)
    except ImportError:
        raise click.ClickException(
            "koppeling verify needs pact-python: pip install 'pact-python>=4.2,<5'"
        ) from None
    from contracts.pactkit import PACT_DIR
    from contracts.verify import Target, verify_provider

    target = Target(
        provider, base_url, pact_dir or PACT_DIR, state_change_url, broker_url, mailbox_url
    )
    try:
        report = verify_provider(target)
    except (FileNotFoundError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    if verbose and report.output:
        click.echo(report.output)
    click.echo(report.render())
    if not report.ok:
        raise SystemExit(1)
