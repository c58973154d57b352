"""Broker accounts through OpenAlgo: encrypted keys, sync of funds/positions/holdings/orders/trades, health and
failover, live prices, CSV imports (docs/accounts.md).

Entry points: `core.accounts.service` (add, list, test, remove), `core.accounts.sync.sync_accounts`,
`core.accounts.health.ping_accounts` / `active_data_account`, `core.accounts.feed.FeedManager`,
`core.accounts.csv_import`, `core.accounts.rotation.rotate_keys`, `core.accounts.instruments`.
"""
