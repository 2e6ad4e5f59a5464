"""``koppeling up --demo`` seeding: the school in the LAS, the pupils in Schoolkr8 without
numbers, the beheerder's inbox, and a click-through that names what was seeded."""

from __future__ import annotations

import random
import string

from koppeling.client import Clients, SchoolRef
from koppeling.demo import seed_demo
from koppeling.harness.process import Harness


def test_seed_demo_seeds_every_partner_and_can_run_twice(live: Harness) -> None:
    """Seeding twice reuses the school and the Schoolkr8 pupils (safe on a kept state)."""
    assert live.core is not None
    rng = random.SystemRandom()
    brin = "99" + "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
    dep = f"{rng.randrange(100):02d}"
    email = f"beheerder.{brin.lower()}{dep}@demo.test"
    text = seed_demo(
        live.core, brincode=brin, dependancecode=dep, aantal_leerlingen=4, beheerder_email=email
    )

    clients, school = Clients(live.core.urls), SchoolRef(brin, dep)
    las_pupils = clients.las("parnassys").leerlingen(school)
    sk8 = clients.schoolkr8.leerlingen(school)
    assert len(las_pupils) == 4 and len(sk8) == 4
    assert all(p["leerlingnummer"] is None for p in sk8)
    assert f"BRIN-nummer {brin}" in text and "welkomstmail" in text
    assert "pns_" not in text  # the LAS key travels by mail, never on the console
    assert f"{live.url('testcentrum')}/scholen/{brin}/{dep}/beheer/koppelen-met-las" in text
    for words in ("WIJZIGINGEN OPSLAAN", "AANVRAGEN", "wijzigen leerlingnummer"):
        assert words in text
    inbox = clients.mailbox.search(f"to:{email}", wait=5)
    assert inbox["messages_count"] == 1
    message = clients.mailbox.message(inbox["messages"][0]["ID"])
    assert "pns_" in message["Text"]  # the LAS key reaches the beheerder by mail

    again = seed_demo(
        live.core, brincode=brin, dependancecode=dep, aantal_leerlingen=4, beheerder_email=email
    )
    sk8_again = clients.schoolkr8.leerlingen(school)
    assert len(sk8_again) == 4
    assert f"BRIN-nummer {brin}" in again


def test_seed_demo_takes_plain_urls(live: Harness) -> None:
    """Against a map of base URLs (no Core): seeding still works; the inbox simply starts empty."""
    assert live.core is not None
    brin = "99" + "".join(random.SystemRandom().choice(string.ascii_uppercase) for _ in range(2))
    text = seed_demo(dict(live.core.urls), brincode=brin, dependancecode="97", aantal_leerlingen=2)
    assert f"{brin}" in text and "Stap 4" in text
