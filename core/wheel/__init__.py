"""The wheel: covered calls on holdings, puts sized to cash, open short options with status and rolls, and
cycles (put -> assignment -> calls -> called away) derived from an account's trades (docs/wheel.md)."""
