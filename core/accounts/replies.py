"""OpenAlgo reply bodies (the `data` of a success) read into records, field names exactly as OpenAlgo sends them.

Shapes (restx_api + services of marketcalls/openalgo; docs/accounts.md has the table):
- funds:        {"availablecash": "320.66", "collateral": "0.00", "m2mrealized": "3.27", "m2munrealized": "-7.88",
                 "utiliseddebits": "679.34"}
- positionbook: [{"symbol", "exchange", "product", "quantity": "-1", "average_price": "83.74", "ltp", "pnl"}]
- holdings:     {"holdings": [{"symbol", "exchange", "product", "quantity": 1, "pnl": -149.0, "pnlpercent": -11.1,
                 and with some brokers "average_price", "ltp"}], "statistics": {...}}
- orderbook:    {"orders": [{"orderid", "symbol", "exchange", "action", "quantity": "1", "price": 1186.0,
                 "trigger_price", "pricetype", "product", "order_status", "timestamp": "08-Apr-2025 13:58:03"}],
                 "statistics": {...}}
- tradebook:    [{"orderid", "symbol", "exchange", "product", "action", "quantity", "average_price", "trade_value",
                 "timestamp": "13:58:03"}]
Numbers come as strings or numbers depending on the broker; `core.accounts.values` reads both.
"""

from __future__ import annotations

from typing import Any

from core.accounts.errors import InvalidReply
from core.accounts.records import Funds, HoldingRecord, OrderRecord, PositionRecord, TradeRecord
from core.accounts.values import ValueFormatError, parse_amount, parse_broker_time, parse_quantity


def read_funds(data: Any) -> Funds:
    row = _mapping(data, "funds")
    with _reading("funds"):
        return Funds(
            available_cash=parse_amount(row.get("availablecash"), "availablecash"),
            collateral=parse_amount(row.get("collateral"), "collateral"),
            used_margin=parse_amount(row.get("utiliseddebits"), "utiliseddebits"),
            realized_pnl=parse_amount(row.get("m2mrealized"), "m2mrealized"),
            unrealized_pnl=parse_amount(row.get("m2munrealized"), "m2munrealized"),
        )


def read_positions(data: Any) -> list[PositionRecord]:
    records = []
    for row in _rows(data, "positionbook"):
        with _reading("positionbook", row):
            records.append(
                PositionRecord(
                    symbol=_text(row, "symbol"),
                    exchange=_text(row, "exchange"),
                    product=row.get("product") or None,
                    quantity=parse_quantity(row.get("quantity")),
                    average_price=parse_amount(row.get("average_price"), "average_price"),
                    ltp=parse_amount(row.get("ltp"), "ltp"),
                    pnl=parse_amount(row.get("pnl"), "pnl"),
                )
            )
    return records


def read_holdings(data: Any) -> list[HoldingRecord]:
    records = []
    for row in _rows(_mapping(data, "holdings").get("holdings"), "holdings"):
        with _reading("holdings", row):
            records.append(
                HoldingRecord(
                    symbol=_text(row, "symbol"),
                    exchange=_text(row, "exchange"),
                    product=row.get("product") or None,
                    quantity=parse_quantity(row.get("quantity")),
                    average_price=parse_amount(row.get("average_price"), "average_price"),
                    ltp=parse_amount(row.get("ltp"), "ltp"),
                    pnl=parse_amount(row.get("pnl"), "pnl"),
                    pnl_percent=parse_amount(row.get("pnlpercent"), "pnlpercent"),
                )
            )
    return records


def read_orders(data: Any) -> list[OrderRecord]:
    records = []
    for row in _rows(_mapping(data, "orderbook").get("orders"), "orderbook"):
        with _reading("orderbook", row):
            exchange = _text(row, "exchange")
            records.append(
                OrderRecord(
                    order_id=_text(row, "orderid"),
                    symbol=_text(row, "symbol"),
                    exchange=exchange,
                    action=_text(row, "action").upper(),
                    quantity=parse_quantity(row.get("quantity")),
                    order_type=str(row.get("pricetype") or "").upper(),
                    price=parse_amount(row.get("price"), "price"),
                    trigger_price=parse_amount(row.get("trigger_price"), "trigger_price"),
                    product=row.get("product") or None,
                    status=str(row.get("order_status") or "").lower(),
                    placed_at=parse_broker_time(row.get("timestamp"), exchange),
                )
            )
    return records


def read_trades(data: Any) -> list[TradeRecord]:
    records = []
    for row in _rows(data, "tradebook"):
        with _reading("tradebook", row):
            exchange = _text(row, "exchange")
            records.append(
                TradeRecord(
                    order_id=_text(row, "orderid"),
                    symbol=_text(row, "symbol"),
                    exchange=exchange,
                    product=row.get("product") or None,
                    action=_text(row, "action").upper(),
                    quantity=parse_quantity(row.get("quantity")),
                    average_price=parse_amount(row.get("average_price"), "average_price"),
                    trade_value=parse_amount(row.get("trade_value"), "trade_value"),
                    traded_at=parse_broker_time(row.get("timestamp"), exchange),
                )
            )
    return records


def _mapping(data: Any, endpoint: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidReply(f"{endpoint}: expected an object in 'data', got {type(data).__name__}")
    return data


def _rows(data: Any, endpoint: str) -> list[dict]:
    if data is None:  # some brokers send null for an empty book
        return []
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InvalidReply(f"{endpoint}: expected a list of objects, got {type(data).__name__}")
    return data


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    if value is None or str(value).strip() == "":
        raise ValueFormatError(f"{name} is missing")
    return str(value).strip()


class _reading:
    """Turns a malformed value into `InvalidReply` naming the endpoint and the row's symbol."""

    def __init__(self, endpoint: str, row: dict | None = None) -> None:
        self.where = endpoint + (f" row {row.get('symbol')!r}" if row and row.get("symbol") else "")

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if isinstance(exc, ValueFormatError):
            raise InvalidReply(f"{self.where}: {exc}") from None
        return False
