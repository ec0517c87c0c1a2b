"""The Recraft API: its catalog of limits and prices, an HTTP client, typed errors,
the documented validation rules and the shared rate limiter. No Django here."""
