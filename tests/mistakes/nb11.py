"""Blind learner answers for notebook 11 (designing with events)."""

NB = "11_*.ipynb"

_FIT_KEYS = [
    "a bank account's ledger",
    "a company blog's pages",
    "a warehouse's stock of each product",
    "a user's display settings (theme, language)",
    "an insurance claim handled over weeks",
]
_RULE_KEYS = [
    "an order is paid once",
    "the refunds of an order never exceed its payment",
    "an order id is placed once",
    "a customer owes at most 100.00 over all unpaid orders",
    "a coupon code is redeemed once, by any customer",
]


def _dict(name, keys, values):
    body = "".join(f"    {k!r}: {v},\n" for k, v in zip(keys, values))
    return f"{name} = {{\n{body}}}\n"


def _fit(*values):
    return _dict("answers", _FIT_KEYS, values)


def _where(*values):
    return _dict("where", _RULE_KEYS, values)


def _gift(*events):
    return "gift_card_events = [\n" + "".join(f"    {e},\n" for e in events) + "]\n"


def _cases(*rows, header=""):
    return header + "cases = [\n" + "".join(f"    {r},\n" for r in rows) + "]\n"


D = 'Decimal'
TOO_SMALL_050 = '(paid, RequestRefund("A", Decimal("0.50")), RefundTooSmall)'
TOO_SMALL_099 = '(paid, RequestRefund("A", Decimal("0.99")), RefundTooSmall)'
OK_100 = '(paid, RequestRefund("A", Decimal("1.00")), [RefundCreated("A", Decimal("1.00"), "R1", None)])'
OK_200 = '(paid, RequestRefund("A", Decimal("2.00")), [RefundCreated("A", Decimal("2.00"), "R1", None)])'
OK_500 = '(paid, RequestRefund("A", Decimal("5.00")), [RefundCreated("A", Decimal("5.00"), "R1", None)])'

CASES = [
    # ---------------- 11.1 event sourcing or CRUD ----------------
    (NB, "check_fit", "11.1 the warehouse stock 'is just a number per product': CRUD",
     _fit("FITS", "CRUD", "CRUD", "CRUD", "FITS")),
    (NB, "check_fit", "11.1 the blog wants page revisions, so event sourcing",
     _fit("FITS", "FITS", "FITS", "CRUD", "FITS")),
    (NB, "check_fit", "11.1 the insurance claim is 'a form that gets filled in': CRUD",
     _fit("FITS", "CRUD", "FITS", "CRUD", "CRUD")),
    (NB, "check_fit", "11.1 the bank account 'has a balance column': CRUD",
     _fit("CRUD", "CRUD", "FITS", "CRUD", "FITS")),
    (NB, "check_fit", "11.1 event sourcing everywhere (the workbook's hammer)",
     _fit("FITS", "FITS", "FITS", "FITS", "FITS")),
    (NB, "check_fit", "11.1 CRUD everywhere ('keep it simple')",
     _fit("CRUD", "CRUD", "CRUD", "CRUD", "CRUD")),
    (NB, "check_fit", "11.1 display settings 'change over time', so events",
     _fit("FITS", "CRUD", "FITS", "FITS", "FITS")),
    (NB, "check_fit", "11.1 type slip: the strings 'FITS'/'CRUD' instead of the imported constants",
     _fit("'FITS'", "'CRUD'", "'FITS'", "'CRUD'", "'FITS'")),
    (NB, "check_fit", "11.1 booleans: True for 'event sourcing fits'",
     _fit("True", "False", "True", "False", "True")),

    # ---------------- 11.2 where does a rule live ----------------
    (NB, "check_rule_boundaries", "11.2 'an order id is placed once' sounds global: ACROSS",
     _where("ONE_STREAM", "ONE_STREAM", "ACROSS", "ACROSS", "ACROSS")),
    (NB, "check_rule_boundaries", "11.2 the coupon has a stream of its own, so 'one stream'",
     _where("ONE_STREAM", "ONE_STREAM", "ONE_STREAM", "ACROSS", "ONE_STREAM")),
    (NB, "check_rule_boundaries", "11.2 the customer limit is kept by a customer stream, so 'one stream'",
     _where("ONE_STREAM", "ONE_STREAM", "ONE_STREAM", "ONE_STREAM", "ACROSS")),
    (NB, "check_rule_boundaries", "11.2 refunds are separate things, so their limit spans streams",
     _where("ONE_STREAM", "ACROSS", "ONE_STREAM", "ACROSS", "ACROSS")),
    (NB, "check_rule_boundaries", "11.2 everything in one stream ('the decider checks every rule')",
     _where("ONE_STREAM", "ONE_STREAM", "ONE_STREAM", "ONE_STREAM", "ONE_STREAM")),
    (NB, "check_rule_boundaries", "11.2 'once' rules need a global check: every 'once' rule ACROSS",
     _where("ACROSS", "ONE_STREAM", "ACROSS", "ACROSS", "ACROSS")),
    (NB, "check_rule_boundaries", "11.2 type slip: the constant names as strings",
     _where("'ONE_STREAM'", "'ONE_STREAM'", "'ONE_STREAM'", "'ACROSS'", "'ACROSS'")),

    # ---------------- 11.3 gift card events ----------------
    (NB, "check_gift_card_events", "11.3 commands instead of events (imperative names) for the first two moments",
     _gift('("CreateGiftCard", {"giftCardId", "amount"})',
           '("RedeemGiftCard", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 CRUD thinking: the spending is a BalanceChanged",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("BalanceChanged", {"giftCardId", "balance"})',
           '("GiftCardExpired", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 GiftCardUpdated for the spending",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardUpdated", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 the expiry recorded as a deletion",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})',
           '("GiftCardDeleted", {"giftCardId"})')),
    (NB, "check_gift_card_events", "11.3 the expiry is not an event ('nothing happened, time passed')",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 events out of storyboard order",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 the purchase carries the buyer's name and e-mail (personal data in the log)",
     _gift('("GiftCardPurchased", {"giftCardId", "amount", "customerName", "email"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 fat events: the whole card state copied into every event",
     _gift('("GiftCardPurchased", {"giftCardId", "amount", "balance", "status", "purchasedAmount", "redeemedAmount"})',
           '("GiftCardRedeemed", {"giftCardId", "amount", "balance", "status", "purchasedAmount", "redeemedAmount"})',
           '("GiftCardExpired", {"giftCardId", "amount", "balance", "status", "purchasedAmount", "redeemedAmount"})')),
    (NB, "check_gift_card_events", "11.3 the redemption carries only the new balance, not what was spent",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"giftCardId", "balance"})',
           '("GiftCardExpired", {"giftCardId", "balance"})')),
    (NB, "check_gift_card_events", "11.3 the expiry carries no amount: readers cannot book the 30.00 unused",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId"})')),
    (NB, "check_gift_card_events", "11.3 snake_case field names (Python habit)",
     _gift('("GiftCardPurchased", {"gift_card_id", "amount"})',
           '("GiftCardRedeemed", {"gift_card_id", "amount"})',
           '("GiftCardExpired", {"gift_card_id", "amount"})')),
    (NB, "check_gift_card_events", "11.3 shape slip: a dict of example values instead of a set of field names",
     _gift('("GiftCardPurchased", {"giftCardId": "G1", "amount": Decimal("50.00")})',
           '("GiftCardRedeemed", {"giftCardId": "G1", "amount": Decimal("20.00")})',
           '("GiftCardExpired", {"giftCardId": "G1", "amount": Decimal("30.00")})')),
    (NB, "check_gift_card_events", "11.3 the purchase carries no amount (only the id)",
     _gift('("GiftCardPurchased", {"giftCardId"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 no card id in the later events ('it is in the stream id')",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"amount"})',
           '("GiftCardExpired", {"amount"})')),

    # ---------------- 11.4 idempotent receiver ----------------
    (NB, "check_receiver", "11.4 records the id before the effect: a failed effect is never retried",
     'def receive(inbox, message, effect):\n'
     '    if message["messageId"] in inbox:\n'
     '        return\n'
     '    inbox.add(message["messageId"])\n'
     '    effect(message)\n'),
    (NB, "check_receiver", "11.4 swallows the effect's exception and acknowledges the message anyway",
     'def receive(inbox, message, effect):\n'
     '    if message["messageId"] in inbox:\n'
     '        return\n'
     '    try:\n'
     '        effect(message)\n'
     '    except Exception:\n'
     '        pass\n'
     '    inbox.add(message["messageId"])\n'),
    (NB, "check_receiver", "11.4 acknowledges in a finally block (also on failure)",
     'def receive(inbox, message, effect):\n'
     '    if message["messageId"] not in inbox:\n'
     '        try:\n'
     '            effect(message)\n'
     '        finally:\n'
     '            inbox.add(message["messageId"])\n'),
    (NB, "check_receiver", "11.4 no inbox at all: calls the effect on every delivery",
     'def receive(inbox, message, effect):\n'
     '    return effect(message)\n'),
    (NB, "check_receiver", "11.4 remembers only the last message id",
     '_last_id = None\n\n'
     'def receive(inbox, message, effect):\n'
     '    global _last_id\n'
     '    if message["messageId"] == _last_id:\n'
     '        return\n'
     '    effect(message)\n'
     '    _last_id = message["messageId"]\n'),
    (NB, "check_receiver", "11.4 rebinds inbox to a new set: the caller's inbox never changes",
     'def receive(inbox, message, effect):\n'
     '    if message["messageId"] in inbox:\n'
     '        return\n'
     '    effect(message)\n'
     '    inbox = inbox | {message["messageId"]}\n'),
    (NB, "check_receiver", "11.4 set.update with a string adds its characters, not the id",
     'def receive(inbox, message, effect):\n'
     '    if message["messageId"] in inbox:\n'
     '        return\n'
     '    effect(message)\n'
     '    inbox.update(message["messageId"])\n'),
    (NB, "check_receiver", "11.4 wrong key: message.get('id') is None for every message, so only the first is handled",
     'def receive(inbox, message, effect):\n'
     '    if message.get("id") in inbox:\n'
     '        return\n'
     '    effect(message)\n'
     '    inbox.add(message.get("id"))\n'),
    (NB, "check_receiver", "11.4 dedups on the message object's identity: a redelivered copy is a new object",
     'def receive(inbox, message, effect):\n'
     '    if id(message) in inbox:\n'
     '        return\n'
     '    effect(message)\n'
     '    inbox.add(id(message))\n'),
    (NB, "check_receiver", "11.4 passes the message id to the effect instead of the message",
     'def receive(inbox, message, effect):\n'
     '    message_id = message["messageId"]\n'
     '    if message_id not in inbox:\n'
     '        effect(message_id)\n'
     '        inbox.add(message_id)\n'),
    (NB, "check_receiver", "11.4 checks the whole message's text: a redelivery with another delivery detail is not recognised",
     'def receive(inbox, message, effect):\n'
     '    key = repr(message)\n'
     '    if key in inbox:\n'
     '        return\n'
     '    effect(message)\n'
     '    inbox.add(key)\n'),

    # ---------------- 11.5 tests for the minimum refund ----------------
    (NB, "check_min_refund_tests", "11.5 only the example given: no accepted case, no edge",
     _cases(TOO_SMALL_050)),
    (NB, "check_min_refund_tests", "11.5 refusals only: a rule that refuses everything passes",
     _cases(TOO_SMALL_050, TOO_SMALL_099, '(paid, RequestRefund("A", Decimal("0.01")), RefundTooSmall)')),
    (NB, "check_min_refund_tests", "11.5 no edge: 0.50 refused and 5.00 accepted, nothing at 1.00",
     _cases(TOO_SMALL_050, OK_500)),
    (NB, "check_min_refund_tests", "11.5 reads 'at least 1.00' as 'more than 1.00': expects 1.00 refused",
     _cases(TOO_SMALL_050, TOO_SMALL_099, '(paid, RequestRefund("A", Decimal("1.00")), RefundTooSmall)', OK_200)),
    (NB, "check_min_refund_tests", "11.5 then as an exception instance instead of the class",
     _cases('(paid, RequestRefund("A", Decimal("0.50")), RefundTooSmall("A", "a refund of 0.50 is less than 1.00"))',
            OK_100, OK_200)),
    (NB, "check_min_refund_tests", "11.5 then as a single event, not a list",
     _cases(TOO_SMALL_050, TOO_SMALL_099,
            '(paid, RequestRefund("A", Decimal("1.00")), RefundCreated("A", Decimal("1.00"), "R1", None))')),
    (NB, "check_min_refund_tests", "11.5 the expected event leaves out the refund id the rule assigns",
     _cases(TOO_SMALL_050, TOO_SMALL_099,
            '(paid, RequestRefund("A", Decimal("1.00")), [RefundCreated("A", Decimal("1.00"))])')),
    (NB, "check_min_refund_tests", "11.5 float amounts in the commands",
     _cases('(paid, RequestRefund("A", 0.5), RefundTooSmall)',
            '(paid, RequestRefund("A", 0.99), RefundTooSmall)',
            '(paid, RequestRefund("A", 1.0), [RefundCreated("A", Decimal("1.00"), "R1", None)])')),
    (NB, "check_min_refund_tests", "11.5 the template's ... left in the list",
     _cases(TOO_SMALL_050, TOO_SMALL_099, OK_100, '...')),
    (NB, "check_min_refund_tests", "11.5 given as a folded state instead of a list of events",
     _cases('(fold(paid), RequestRefund("A", Decimal("0.50")), RefundTooSmall)',
            '(fold(paid), RequestRefund("A", Decimal("0.99")), RefundTooSmall)',
            '(fold(paid), RequestRefund("A", Decimal("1.00")), [RefundCreated("A", Decimal("1.00"), "R1", None)])')),
    (NB, "check_min_refund_tests", "11.5 then as the error's name (a string)",
     _cases('(paid, RequestRefund("A", Decimal("0.50")), "RefundTooSmall")',
            '(paid, RequestRefund("A", Decimal("0.99")), "RefundTooSmall")',
            OK_100)),
    (NB, "check_min_refund_tests", "11.5 good edges, but nothing about the rules around it (unpaid order, more than paid, earlier refunds)",
     _cases(TOO_SMALL_050, TOO_SMALL_099, OK_100,
            '(paid, RequestRefund("A", Decimal("1.01")), [RefundCreated("A", Decimal("1.01"), "R1", None)])')),
]

_RIGHT_CASES_1 = _cases(
    TOO_SMALL_050,
    TOO_SMALL_099,
    OK_100,
    '(paid, RequestRefund("A", Decimal("1.01")), [RefundCreated("A", Decimal("1.01"), "R1", None)])',
    '(paid, RequestRefund("A", Decimal("30.00")), [RefundCreated("A", Decimal("30.00"), "R1", None)])',
    '(paid, RequestRefund("A", Decimal("30.01")), RefundExceedsPayment)',
    '(paid, RequestRefund("A", Decimal("-1.00")), InvalidAmount)',
    '([OrderCreated("A", Decimal("30.00"))], RequestRefund("A", Decimal("0.50")), OrderNotPaid)',
    '([OrderCreated("A", Decimal("30.00"))], RequestRefund("A", Decimal("5.00")), OrderNotPaid)',
    '([], RequestRefund("A", Decimal("5.00")), OrderNotFound)',
    '(paid + [RefundCreated("A", Decimal("29.50"), "R1")], RequestRefund("A", Decimal("0.50")), RefundTooSmall)',
    '(paid + [RefundCreated("A", Decimal("29.50"), "R1")], RequestRefund("A", Decimal("1.00")), RefundExceedsPayment)',
    '(paid + [RefundCreated("A", Decimal("5.00"), "R1")], RequestRefund("A", Decimal("1.00"), reason="scratch"), '
    '[RefundCreated("A", Decimal("1.00"), "R2", "scratch")])',
    header="from eventsim.shop.order import InvalidAmount, OrderNotFound, OrderNotPaid, RefundExceedsPayment\n\n",
)

_RIGHT_CASES_2 = (
    "from eventsim.shop.order import OrderError, OrderNotPaid\n\n"
    "placed_only = [OrderCreated(\"A\", Decimal(\"30.00\"))]\n"
    "cases = [\n"
    "    (paid, RequestRefund(\"A\", Decimal(\"0.50\")), RefundTooSmall),\n"
    "]\n"
    "for cents in (1, 50, 99):\n"
    "    amount = Decimal(cents) / 100\n"
    "    cases.append((paid, RequestRefund(\"A\", amount), RefundTooSmall))\n"
    "for text in (\"1.00\", \"1.01\", \"2\", \"29.99\", \"30\"):\n"
    "    amount = Decimal(text)\n"
    "    cases.append((paid, RequestRefund(\"A\", amount), [RefundCreated(\"A\", amount, \"R1\", None)]))\n"
    "cases += [\n"
    "    (paid, RequestRefund(\"A\", Decimal(\"31\")), OrderError),  # more than was paid: some rule refuses it\n"
    "    (placed_only, RequestRefund(\"A\", Decimal(\"0.50\")), OrderNotPaid),\n"
    "    (paid + [RefundCreated(\"A\", Decimal(\"29.50\"), \"R1\")], RequestRefund(\"A\", Decimal(\"0.50\")), RefundTooSmall),\n"
    "    (paid + [RefundCreated(\"A\", Decimal(\"10\"), \"R1\")], RequestRefund(\"A\", Decimal(\"1\")),\n"
    "     [RefundCreated(\"A\", Decimal(\"1\"), \"R2\", None)]),\n"
    "]\n"
)

RIGHT = [
    (NB, "check_fit", "11.1 right: built from two lists",
     f"es_systems = [{_FIT_KEYS[0]!r}, {_FIT_KEYS[2]!r}, {_FIT_KEYS[4]!r}]\n"
     f"crud_systems = [{_FIT_KEYS[1]!r}, {_FIT_KEYS[3]!r}]\n"
     "answers = {**{s: FITS for s in es_systems}, **{s: CRUD for s in crud_systems}}\n"),
    (NB, "check_fit", "11.1 right: plain dict in another key order",
     _dict("answers", [_FIT_KEYS[i] for i in (4, 3, 2, 1, 0)], ["FITS", "CRUD", "FITS", "CRUD", "FITS"])),
    (NB, "check_rule_boundaries", "11.2 right: dict.fromkeys then the two cross-stream rules",
     f"where = dict.fromkeys({_RULE_KEYS!r}, ONE_STREAM)\n"
     f"where[{_RULE_KEYS[3]!r}] = ACROSS\n"
     f"where[{_RULE_KEYS[4]!r}] = ACROSS\n"),
    (NB, "check_rule_boundaries", "11.2 right: plain dict in another key order",
     _dict("where", [_RULE_KEYS[i] for i in (4, 2, 0, 3, 1)], ["ACROSS", "ONE_STREAM", "ONE_STREAM", "ACROSS", "ONE_STREAM"])),
    (NB, "check_gift_card_events", "11.3 right: card id named by analogy with orderId, amounts as amount",
     _gift('("GiftCardPurchased", {"giftCardId", "amount"})',
           '("GiftCardRedeemed", {"giftCardId", "amount"})',
           '("GiftCardExpired", {"giftCardId", "amount"})')),
    (NB, "check_gift_card_events", "11.3 right: names taken from GIFT_CARD_NAMES by index, card id as cardId",
     'purchased, redeemed, expired = (GIFT_CARD_NAMES[i] for i in (1, 5, 6))\n'
     'gift_card_events = [\n'
     '    (purchased, {"cardId", "amount"}),\n'
     '    (redeemed, {"cardId", "amount"}),\n'
     '    (expired, {"cardId", "amount"}),\n'
     ']\n'),
    (NB, "check_receiver", "11.4 right: reserve the id first, give it back if the effect fails, re-raise",
     'def receive(inbox, message, effect):\n'
     '    message_id = message["messageId"]\n'
     '    if message_id in inbox:\n'
     '        return False\n'
     '    inbox.add(message_id)\n'
     '    try:\n'
     '        effect(message)\n'
     '    except BaseException:\n'
     '        inbox.discard(message_id)\n'
     '        raise\n'
     '    return True\n'),
    (NB, "check_receiver", "11.4 right: try/else, in-place |= on the set",
     'def receive(inbox, message, effect):\n'
     '    key = message["messageId"]\n'
     '    if key not in inbox:\n'
     '        try:\n'
     '            result = effect(message)\n'
     '        except Exception:\n'
     '            raise\n'
     '        else:\n'
     '            inbox |= {key}\n'
     '            return result\n'),
    (NB, "check_min_refund_tests", "11.5 right: edges on both sides, other rules by their own classes, a second refund",
     _RIGHT_CASES_1),
    (NB, "check_min_refund_tests", "11.5 right: built in loops; OrderError (base class) for 'more than paid'",
     _RIGHT_CASES_2),
]
