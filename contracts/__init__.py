"""Contracts: Pact consumer tests, pact files, provider verification, schemas."""
