"""The Schoolkr8 mock: koppelingen and keys, pupils and leerlingnummers, the Leerresultaten intake."""
