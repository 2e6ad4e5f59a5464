"""Score invoeren, normeren and the doorsturing: afnames, their simulated norming, and the
forwarder that sends normed results to Schoolkr8 through a durable outbox."""
