"""Generate the seed CSVs of the reference dbt project, deterministically.

    python dbt/scripts/generate_seeds.py            # rewrite dbt/seeds/*.csv
    python dbt/scripts/generate_seeds.py --check    # exit 1 if the committed CSVs differ

Standard library only, a fixed random seed and no wall clock: every date is relative to ``ANCHOR``.
The data carries deliberate quality defects, each with a known count, catalogued in
``dbt/seeds/DEFECTS.yml``; the ``DEFECTS`` dict below is the single source of those counts.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

SEED = 20250630
ANCHOR = date(2025, 6, 30)  # "today" of the data set; the dbt var pipelineops_demo_anchor_date matches it
HISTORY_DAYS = 540
N_CUSTOMERS = 1200
N_PRODUCTS = 120
N_ORDERS = 2790
SHIPMENTS_FEED_STOPPED_DAYS = 3  # the shipments feed's last load is this many days before the others
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

# Planted defects: id -> rows affected. DEFECTS.yml restates these with the tests that catch them.
DEFECTS = {
    "duplicate_customer_ids": 12,
    "orders_null_customer_id": 9,
    "orders_orphan_customer_id": 8,
    "orders_invalid_status": 14,
    "orders_future_ordered_at": 6,
    "order_items_orphan_product_id": 15,
    "payments_negative_amount": 11,
    "products_null_category": 5,
}
INVALID_STATUSES = ["Completed", "SHIPPED", " completed", "Returned "]
STATUSES = ["placed", "shipped", "completed", "returned", "cancelled"]
FIRST = [
    "Ava",
    "Ben",
    "Cleo",
    "Dan",
    "Eve",
    "Finn",
    "Gia",
    "Hugo",
    "Ivy",
    "Jon",
    "Kai",
    "Lea",
    "Milo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sam",
    "Tea",
    "Uma",
    "Vic",
]
LAST = [
    "Adler",
    "Berg",
    "Costa",
    "Diaz",
    "Egger",
    "Fox",
    "Gray",
    "Hahn",
    "Ito",
    "Jung",
    "Kerr",
    "Lund",
    "Moss",
    "Nagy",
    "Ortiz",
    "Park",
    "Roth",
    "Sato",
]
COUNTRIES = ["US", "US", "US", "CA", "GB", "DE", "FR", "NL", "AU"]
CATEGORIES = ["apparel", "footwear", "accessories", "home", "outdoor"]
CHANNELS = ["web", "web", "web", "mobile_app", "mobile_app", "marketplace"]
CARRIERS = ["ups", "fedex", "dhl", "usps"]
METHODS = ["credit_card", "credit_card", "credit_card", "paypal", "gift_card", "bank_transfer"]


def ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def nightly_load(event: datetime, last_load: datetime) -> datetime:
    """Rows land in the warehouse in the nightly batch at 00:30 after the event, never after last_load."""
    load = datetime.combine(event.date() + timedelta(days=1), datetime.min.time()) + timedelta(minutes=30)
    return min(load, last_load)


def generate() -> dict[str, tuple[list[str], list[list[str]]]]:
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not security
    start = datetime.combine(ANCHOR - timedelta(days=HISTORY_DAYS), datetime.min.time())
    last_load = datetime.combine(ANCHOR, datetime.min.time()) + timedelta(minutes=30)
    shipments_last_load = last_load - timedelta(days=SHIPMENTS_FEED_STOPPED_DAYS)

    def moment(lo: datetime, hi: datetime) -> datetime:
        return lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))

    # products
    products = []
    null_category = set(rng.sample(range(1, N_PRODUCTS + 1), DEFECTS["products_null_category"]))
    prices: dict[int, int] = {}
    for pid in range(1, N_PRODUCTS + 1):
        category = CATEGORIES[pid % len(CATEGORIES)]
        prices[pid] = rng.randrange(5, 250) * 100 - rng.choice([0, 1, 5, 51])
        products.append(
            [
                str(pid),
                f"SKU-{category[:3].upper()}-{pid:04d}",
                f"{category.title()} item {pid}",
                "" if pid in null_category else category,
                money(prices[pid]),
                "false" if pid % 17 == 0 else "true",
                ts(last_load),  # the catalogue is a full snapshot, reloaded every night
            ]
        )

    # customers, with re-delivered duplicates carrying a newer email and load time
    customers = []
    signup: dict[int, datetime] = {}
    for cid in range(1, N_CUSTOMERS + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        signup[cid] = moment(start - timedelta(days=365), datetime.combine(ANCHOR, datetime.min.time()))
        customers.append(
            [
                str(cid),
                first,
                last,
                f"{first.lower()}.{last.lower()}{cid}@example.com",
                rng.choice(COUNTRIES),
                ts(signup[cid]),
                ts(nightly_load(signup[cid], last_load)),
            ]
        )
    for row in rng.sample(customers[:-50], DEFECTS["duplicate_customer_ids"]):
        again = list(row)
        again[3] = again[3].replace("@example.com", "@mail.example.org")
        again[6] = ts(min(datetime.fromisoformat(row[6]) + timedelta(days=rng.randrange(1, 30)), last_load))
        customers.append(again)
    customers.sort(key=lambda r: (int(r[0]), r[6]))

    orders, items, payments, shipments = [], [], [], []
    order_id = item_id = payment_id = shipment_id = 0
    anchor_dt = datetime.combine(ANCHOR, datetime.min.time())
    invalid = set(rng.sample(range(1, N_ORDERS + 1), DEFECTS["orders_invalid_status"]))
    orphan_items = set(rng.sample(range(1, N_ORDERS + 1), DEFECTS["order_items_orphan_product_id"]))
    for n in range(1, N_ORDERS + 1):
        order_id += 1
        cid = rng.randrange(1, N_CUSTOMERS + 1)
        ordered = moment(max(start, signup[cid]), anchor_dt)
        age = (anchor_dt - ordered).days
        if age < 2:
            status = "placed"
        elif age < 6:
            status = rng.choice(["placed", "shipped", "shipped"])
        else:
            status = rng.choices(STATUSES[1:], weights=[3, 85, 6, 6])[0]
        raw_status = status
        if n in invalid:
            raw_status = INVALID_STATUSES[len(invalid & set(range(1, n))) % len(INVALID_STATUSES)]
        orders.append(
            [
                str(order_id),
                str(cid),
                ts(ordered),
                raw_status,
                rng.choice(CHANNELS),
                ts(nightly_load(ordered, last_load)),
            ]
        )
        total = 0
        n_items = rng.choices([1, 2, 3, 4], weights=[45, 33, 15, 7])[0]
        for k in range(n_items):
            item_id += 1
            pid = rng.randrange(1, N_PRODUCTS + 1)
            quantity = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
            discount = rng.choice([0, 0, 0, 0, 10, 15, 25])
            gross = quantity * prices[pid]
            line = gross - (gross * discount + 50) // 100  # discount rounded half up to the cent, as in dbt
            total += line
            if n in orphan_items and k == 0:
                pid = 9000 + len(items) % 900  # a product the catalogue never delivered
            items.append(
                [
                    str(item_id),
                    str(order_id),
                    str(pid),
                    str(quantity),
                    money(prices.get(pid, 1999)),
                    str(discount),
                    ts(nightly_load(ordered, last_load)),
                ]
            )
        if status == "cancelled":
            continue
        paid = ordered + timedelta(minutes=rng.randrange(1, 90))
        if rng.random() < 0.06:  # a declined card first
            payment_id += 1
            payments.append(
                [str(payment_id), str(order_id), "credit_card", money(total), "failed", ts(paid), "", ""]
            )
            paid += timedelta(minutes=rng.randrange(2, 30))
        parts = [total] if total < 2000 or rng.random() > 0.08 else [total - total // 3, total // 3]
        for part in parts:
            payment_id += 1
            fee = part * 29 // 1000 + 30
            payments.append(
                [
                    str(payment_id),
                    str(order_id),
                    rng.choice(METHODS),
                    money(part),
                    "success",
                    ts(paid),
                    "",
                    fee,
                ]
            )
        if status in ("shipped", "completed", "returned"):
            shipped = ordered + timedelta(hours=rng.randrange(6, 96))
            delivered = shipped + timedelta(hours=rng.randrange(24, 170))
            if nightly_load(shipped, anchor_dt + timedelta(days=9)) > shipments_last_load:
                continue  # shipped after the feed stopped: not delivered to the warehouse yet
            shipment_id += 1
            delivered_txt = ts(delivered) if status != "shipped" and delivered < anchor_dt else ""
            shipments.append(
                [
                    str(shipment_id),
                    str(order_id),
                    rng.choice(CARRIERS),
                    ts(shipped),
                    delivered_txt,
                    ts(nightly_load(delivered if delivered_txt else shipped, shipments_last_load)),
                ]
            )

    # orders that must never reach the marts: no items, payments or shipments
    def bad_order(customer: str, ordered: datetime) -> None:
        nonlocal order_id
        order_id += 1
        orders.append(
            [str(order_id), customer, ts(ordered), "placed", "web", ts(nightly_load(ordered, last_load))]
        )

    for _ in range(DEFECTS["orders_null_customer_id"]):
        bad_order("", moment(start, anchor_dt))
    for k in range(DEFECTS["orders_orphan_customer_id"]):
        bad_order(str(N_CUSTOMERS + 1000 + k), moment(start, anchor_dt))
    for _ in range(DEFECTS["orders_future_ordered_at"]):
        bad_order(str(rng.randrange(1, N_CUSTOMERS + 1)), anchor_dt + timedelta(days=rng.randrange(30, 400)))

    # sign errors in the payment feed
    successes = [row for row in payments if row[4] == "success"]
    for row in rng.sample(successes, DEFECTS["payments_negative_amount"]):
        row[3] = "-" + row[3]
    # schema drift: processor_fee appeared in the payments feed 60 days before the anchor
    drift_from = anchor_dt - timedelta(days=60)
    for row in payments:
        fee = row[7]
        row[7] = money(int(fee)) if fee != "" and datetime.fromisoformat(row[5]) >= drift_from else ""
        row[6] = ts(nightly_load(datetime.fromisoformat(row[5]), last_load))
        row[6], row[7] = row[7], row[6]  # column order: ..., paid_at, processor_fee, _loaded_at

    return {
        "raw_customers": (
            ["customer_id", "first_name", "last_name", "email", "country_code", "signed_up_at", "_loaded_at"],
            customers,
        ),
        "raw_products": (
            ["product_id", "sku", "product_name", "category", "unit_price", "is_active", "_loaded_at"],
            products,
        ),
        "raw_orders": (["order_id", "customer_id", "ordered_at", "status", "channel", "_loaded_at"], orders),
        "raw_order_items": (
            [
                "order_item_id",
                "order_id",
                "product_id",
                "quantity",
                "unit_price",
                "discount_pct",
                "_loaded_at",
            ],
            items,
        ),
        "raw_payments": (
            [
                "payment_id",
                "order_id",
                "payment_method",
                "amount",
                "status",
                "paid_at",
                "processor_fee",
                "_loaded_at",
            ],
            payments,
        ),
        "raw_shipments": (
            ["shipment_id", "order_id", "carrier", "shipped_at", "delivered_at", "_loaded_at"],
            shipments,
        ),
    }


def render(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed CSVs, write nothing")
    parser.add_argument("--out", type=Path, default=SEEDS_DIR, help="output directory (default: dbt/seeds)")
    args = parser.parse_args(argv)
    stale = []
    total = 0
    for name, (header, rows) in generate().items():
        text = render(header, rows)
        total += len(rows)
        path = args.out / f"{name}.csv"
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
        print(f"{name}: {len(rows)} rows")
    print(f"total: {total} rows")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run dbt/scripts/generate_seeds.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
