"""The harness core every partner mock stands on: store, clock, journal, faults, SOAP, servers."""
