"""Generate ``support_tickets.jsonl``: customer-support tickets labelled with a category.

License: every ticket is produced from the templates and word lists in this file,
which were written for this project; no third-party text is used, so the dataset
is covered by the project's Apache-2.0 license. E-mail addresses use the reserved
``example.com`` domain; names and order numbers are made up.

Each line is ``{"id": ..., "text_input": <ticket text>, "output": <category>}``,
the category being one of :data:`CATEGORIES`. Tickets of one category share
templates and vocabulary, so a model answering with the label of the most similar
training ticket scores well.

To exercise the preparation step, the file also contains, on purpose:

* 5 duplicates of earlier tickets (3 exact, 2 differing only in whitespace);
* 3 invalid rows: one without ``output``, one with an empty ``output``, and one
  whose ``output`` (a pasted conversation) is over the 5,000-character limit.

The output is deterministic: rerunning the script rewrites the same bytes.

Usage::

    python example_dags/data/make_support_dataset.py [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 20240611
TICKETS_PER_CATEGORY = 65
DEFAULT_OUTPUT = Path(__file__).with_name("support_tickets.jsonl")

PRODUCTS = [
    "Aero 2 wireless headphones",
    "Nimbus smart kettle",
    "Trail 40L backpack",
    "Lumen desk lamp",
    "Orbit robot vacuum",
    "Pulse fitness band",
    "Breeze tower fan",
    "Cedar standing desk",
    "Echo mini speaker",
    "Vista 27-inch monitor",
]
CITIES = ["Lyon", "Leeds", "Porto", "Gdansk", "Utrecht", "Graz", "Bilbao", "Aarhus", "Turin"]
CARRIERS = ["ParcelLine", "SwiftPost", "EuroFreight", "QuickShip"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "September"]
DEVICES = ["Pixel 7", "iPhone 13", "Galaxy S22", "iPad Air", "OnePlus 11", "Windows laptop"]
SCREENS = ["order history", "checkout", "wishlist", "settings", "tracking", "login"]
NAMES = ["Alex", "Sam", "Jordan", "Robin", "Maria", "Chen", "Priya", "Tom", "Lea", "Omar"]
ACCESSORIES = ["a USB-C charger", "Alexa", "Google Home", "a 220 V outlet", "a wall mount"]
DISCOUNT_CODES = ["SPRING15", "WELCOME10", "FREESHIP", "VIP20", "STUDENT5"]

TEMPLATES: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for order #{order} on {day} {month}. Please refund the extra "
        "{amount}.",
        "My invoice for {month} shows {amount}, but my plan should cost less. Why was I "
        "billed this amount?",
        "The discount code {code} was not applied at checkout for order #{order} and I paid "
        "the full price.",
        "Hi, this is {name}. I need a VAT invoice for order #{order} for my company's accounts.",
        "My card was declined when paying {amount} for the {product}, but my bank says the "
        "payment went through.",
        "How do I change the credit card used for my monthly payment? I was charged {amount} "
        "on an old card.",
    ],
    "shipping": [
        "My order #{order} has not arrived. Tracking with {carrier} says it has been stuck in "
        "{city} since {day} {month}.",
        "The delivery date for my {product} keeps moving. When will order #{order} actually ship?",
        "{carrier} marked order #{order} as delivered but there is no parcel at my door in {city}.",
        "Can I change the delivery address for order #{order}? I am moving to {city} next week.",
        "Do you ship the {product} to {city}, and how long does delivery usually take?",
        "The tracking link for order #{order} shows an error. Where is my package?",
    ],
    "returns": [
        "The {product} from order #{order} arrived damaged. How do I return it for a replacement?",
        "I would like to return the {product} from order #{order}; it is unopened. Can I get "
        "a refund to my card?",
        "I sent back order #{order} on {day} {month} but I still have not received my refund "
        "of {amount}.",
        "Can I exchange the {product} from order #{order} for a different colour instead of "
        "returning it?",
        "The return label for order #{order} does not work at the {carrier} drop-off point.",
        "Hi, {name} here. The {product} stopped working after two weeks. Is it still within "
        "the return window?",
    ],
    "account": [
        "I cannot log in. The password reset e-mail never arrives at {email}.",
        "Please delete my account and all my personal data. My e-mail is {email}.",
        "How do I change the e-mail address on my account from {email} to a new one?",
        "My account {email} was locked after too many login attempts from {city}. I did not "
        "try to log in.",
        "I have two accounts, one with {email}. Can you merge them and keep my order history?",
        "I want to turn off the marketing e-mails but keep order notifications for {email}.",
    ],
    "technical": [
        "The app crashes on my {device} every time I open the {screen} screen (version {version}).",
        "After updating to version {version}, the {screen} page on my {device} is blank.",
        "The {product} will not connect to Wi-Fi during setup; the app on my {device} times out.",
        "Firmware update {version} for the {product} failed halfway and now it will not turn on.",
        "Push notifications stopped working on my {device} since I updated the app to "
        "version {version}.",
        "The website shows an error 500 on the {screen} page when I use my {device}.",
    ],
    "product_question": [
        "Does the {product} work with {accessory}?",
        "I bought the {product} in {month}. What is the warranty period, and does it cover "
        "the battery?",
        "Hello, this is {name}. Is the {product} available in a larger size or another colour?",
        "How loud is the {product}? I want to use it in a small flat in {city}.",
        "Can the {product} be used outdoors in {city}, and is it water resistant?",
        "Hi, {name} here. What is the difference between the {product} and the older model?",
    ],
}
CATEGORIES = tuple(TEMPLATES)


def _fill(template: str, rng: random.Random) -> str:
    """Fill every placeholder of ``template`` with a random choice."""
    name = rng.choice(NAMES)
    return template.format(
        order=rng.randint(100000, 999999),
        day=rng.randint(1, 28),
        month=rng.choice(MONTHS),
        amount=f"EUR {rng.randint(9, 499)}.{rng.randint(0, 99):02d}",
        code=rng.choice(DISCOUNT_CODES),
        name=name,
        product=rng.choice(PRODUCTS),
        carrier=rng.choice(CARRIERS),
        city=rng.choice(CITIES),
        email=f"{name.lower()}.{rng.randint(10, 99)}@example.com",
        device=rng.choice(DEVICES),
        screen=rng.choice(SCREENS),
        version=f"{rng.randint(3, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}",
        accessory=rng.choice(ACCESSORIES),
    )


def _unique_tickets(rng: random.Random) -> list[dict[str, str]]:
    """Return ``TICKETS_PER_CATEGORY`` distinct tickets per category."""
    seen: set[str] = set()
    tickets: list[dict[str, str]] = []
    for category, templates in TEMPLATES.items():
        made = attempts = 0
        while made < TICKETS_PER_CATEGORY:
            if attempts == 10 * TICKETS_PER_CATEGORY:
                raise RuntimeError(f"the {category!r} templates are too repetitive")
            text = _fill(templates[attempts % len(templates)], rng)
            attempts += 1
            if text not in seen:
                seen.add(text)
                tickets.append({"text_input": text, "output": category})
                made += 1
    return tickets


def _duplicates(tickets: list[dict[str, str]], rng: random.Random) -> list[dict[str, str]]:
    """Return 3 exact copies and 2 whitespace variants of earlier tickets."""
    picked = rng.sample(tickets, 5)
    exact = [dict(ticket) for ticket in picked[:3]]
    spaced = [
        {
            "text_input": "  " + ticket["text_input"].replace(" ", "  ", 2) + "\n",
            "output": ticket["output"],
        }
        for ticket in picked[3:]
    ]
    return exact + spaced


def _invalid_rows() -> list[dict[str, str]]:
    """Return three rows the preparation step must reject."""
    transcript = " ".join(
        f"Agent: message {turn} of the chat, copied into the label column by mistake."
        for turn in range(1, 80)
    )
    return [
        {"text_input": "Where is my order #482913? It was due on Monday."},
        {"text_input": "I want a refund for the Orbit robot vacuum.", "output": ""},
        {"text_input": "The app crashes when I open the checkout screen.", "output": transcript},
    ]


def generate_records(seed: int = SEED) -> list[dict[str, str]]:
    """Return every row of the dataset, shuffled, each with a stable ``id``."""
    rng = random.Random(seed)
    tickets = _unique_tickets(rng)
    rows = tickets + _duplicates(tickets, rng) + _invalid_rows()
    rng.shuffle(rows)
    return [{"id": f"T{number:04d}", **row} for number, row in enumerate(rows, start=1)]


def render_jsonl(seed: int = SEED) -> str:
    """Return the dataset as JSONL text."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in generate_records(seed))


def main() -> None:
    """Write the dataset to ``--output`` (default: next to this script)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    arguments = parser.parse_args()
    text = render_jsonl()
    arguments.output.write_text(text, encoding="utf-8")
    print(f"wrote {text.count(chr(10))} rows to {arguments.output}")


if __name__ == "__main__":
    main()
