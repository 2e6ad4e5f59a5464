"""Beheer › Koppelen met LAS and the dashboard koppeling: school accounts, the LAS import (UWLR),
the Leerlingenoverzicht and the AANVRAGEN of the dashboard koppeling at klantenservice."""
