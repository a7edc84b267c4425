import unittest

from shop.orders import Item, apply_discount, order_total, parse_item


class OrderTotalTest(unittest.TestCase):
    def test_sums_price_times_quantity(self):
        items = [Item("apple", 50, 3), Item("pear", 120, 1)]
        self.assertEqual(order_total(items), 270)

    def test_discount_rounds_down(self):
        self.assertEqual(apply_discount(999, 10), 900)

    def test_parse_item(self):
        item = parse_item({"sku": "apple", "price_cents": "50", "quantity": 2})
        self.assertEqual(item, Item("apple", 50, 2))


if __name__ == "__main__":
    unittest.main()
