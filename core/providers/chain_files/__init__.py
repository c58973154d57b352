"""Reading chain snapshot files in the layouts met in practice (DESIGN section 5): one normalised frame each.

`read_chain_file(path)` finds the header (the layout is told from it, in English or French, comma or
semicolon separated, decimal point or comma) and returns one normalised frame: CHAIN_COLUMNS plus `symbol`,
`option_type`, `expiration` (a date), `underlying_price`, `quote_time` (aware UTC), and extras a source
carries (Cboe's `delta`, `gamma`). Layouts:

- `wheelhouse` / `yfinance`: the 14 `option_chain()` columns, with or without symbol, option_type, expiration,
  underlying_price, quote_time; what is missing comes from the OCC contract code (AAPL250620C00195000) and
  from a sidecar `<file stem>.meta.json` ({"symbol", "underlying_price", "quote_time", "name"}).
- `cboe`: Cboe's delayed-quote download: `<name>,Last: <px>` and `Date: <when>` above the header, then one row
  per (expiry, strike) with the call on the left and the put on the right.
- `yfinance_derived` (ticker, optionType, spotPrice ...) and `yahoo_web` (Yahoo's web table: IV in percent,
  `-` for missing, `% Change` as text).

A file that cannot be read raises `ChainFileError` naming the file and line. A row that cannot be parsed is
never dropped silently: it is counted in `frame.attrs["rejected_rows"]` and described, with its line and
column, in `frame.attrs["problems"]`; a cell that is not a number becomes NaN and is reported the same way.
"""

from core.providers.chain_files.layouts import META_COLUMNS, header_key
from core.providers.chain_files.reader import (
    EXTRA_COLUMNS,
    ChainFile,
    ChainFileError,
    NotAChainFile,
    load_chain_file,
    read_chain_file,
)

__all__ = [
    "EXTRA_COLUMNS",
    "META_COLUMNS",
    "ChainFile",
    "ChainFileError",
    "NotAChainFile",
    "header_key",
    "load_chain_file",
    "read_chain_file",
]
