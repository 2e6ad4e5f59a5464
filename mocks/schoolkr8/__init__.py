"""The Schoolkr8 mock: koppelingen and keys, pupils and numbers, the Leerresultaten intake."""
