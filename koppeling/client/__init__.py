"""Typed clients of every service's setup and admin API, on one transport with one error.

Demo seeding, contract states, scenarios, browser tests and benchmarks set up their data through
these, never by hand-written HTTP: a refusal is always a :class:`ProblemError` (status and problem
details), no answer an :class:`Unreachable`. :mod:`koppeling.client.flows` holds the setup
sequences they share (a LAS school with a key, the Schoolkr8 key by e-mail, …).
"""

from __future__ import annotations

from koppeling.client.admin import HarnessAdmin
from koppeling.client.clients import Clients
from koppeling.client.http import ApiClient, ProblemError, Unreachable
from koppeling.client.klantenservice import KlantenserviceAdmin
from koppeling.client.las import Klant, LasAdmin
from koppeling.client.mailbox import MailboxClient, MailNotFound
from koppeling.client.school import SchoolRef
from koppeling.client.schoolkr8 import Schoolkr8Admin
from koppeling.client.testcentrum import STAND_IN_KLANT, TestcentrumClient

__all__ = [
    "STAND_IN_KLANT",
    "ApiClient",
    "Clients",
    "HarnessAdmin",
    "Klant",
    "KlantenserviceAdmin",
    "LasAdmin",
    "MailNotFound",
    "MailboxClient",
    "ProblemError",
    "SchoolRef",
    "Schoolkr8Admin",
    "TestcentrumClient",
    "Unreachable",
]
