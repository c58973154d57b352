"""The Scan Premiums query: best cash-secured put or covered call per symbol under filters (DESIGN 2 step 4)."""
