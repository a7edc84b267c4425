"""Order handling for a tiny shop backend."""

from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    price_cents: int
    quantity: int


def order_total(items):
    """Total price of the items, in cents."""
    total = 0
    for item in items:
        total += item.price_cents * item.quantity
    return total


def apply_discount(total_cents, percent):
    """The total after a percentage discount, rounded down to whole cents."""
    return total_cents - total_cents * percent // 100


def parse_item(data):
    """An Item from a request's JSON object."""
    return Item(
        sku=data["sku"],
        price_cents=int(data["price_cents"]),
        quantity=int(data["quantity"]),
    )
