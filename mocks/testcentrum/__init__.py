"""The stand-in Boom testcentrum: LAS import, dashboard koppeling, afnames, norming, forwarding."""
