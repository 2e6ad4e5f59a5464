"""Boom klantenservice (mock): approves dashboard koppeling requests and mails the decision."""
