"""One symbol in depth, reached by search: its profile, chain by expiry, smile, term structure, history, payoff."""
