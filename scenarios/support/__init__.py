"""Support code for the scenario suite: partner clients, fresh schools, steps, waits, flows."""
