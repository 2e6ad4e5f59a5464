"""The partners' fixed external surface for scenarios: :mod:`koppeling.client`'s clients of every
service (docs/architecture.md), on one connection pool.

They speak only the documented REST/admin APIs, so the same scenario runs against the in-process
harness or against already-running services (``--against CONFIG``). A refusal is the client
package's :class:`~koppeling.client.ProblemError` carrying the problem details, so scenarios can
assert on it.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from koppeling.client import Clients

SERVICES = ("testcentrum", "parnassys", "esis", "schoolkr8", "klantenservice", "mailbox")


class Partners(Clients):
    """Every partner's client, from a mapping service -> base URL (all of :data:`SERVICES`);
    ``in_process`` says whether the harness runs in this process (restarts, faults for all)."""

    def __init__(self, urls: Mapping[str, str], *, in_process: bool = False) -> None:
        missing = [s for s in SERVICES if s not in urls]
        if missing:
            raise ValueError(f"no URL for {', '.join(missing)}; have {sorted(urls)}")
        self.pool = requests.Session()
        super().__init__(urls, session=self.pool)
        self.in_process = in_process

    def close(self) -> None:
        """Close the connection pool."""
        self.pool.close()
