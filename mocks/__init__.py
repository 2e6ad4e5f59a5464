"""koppeling: mock partners for the Boom testcentrum <-> Schoolkr8 koppeling."""
