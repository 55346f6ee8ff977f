"""Blind learner answers for notebook 03 (processing commands)."""

NB = "03_*.ipynb"

CASES = [
    # ---- 3.1 predict the refusal ------------------------------------------------------------
    (NB, "check_expected_error",
     "3.1 OrderAlreadyPaid: learner reads 'paid' in the given and picks the 'already paid' rule",
     '''expected_error = OrderAlreadyPaid
'''),
    (NB, "check_expected_error",
     "3.1 InvalidAmount: 'the amount 15 is not valid for this order'",
     '''expected_error = InvalidAmount
'''),
    (NB, "check_expected_error",
     "3.1 OrderNotPaid: learner thinks refunds un-pay the order",
     '''expected_error = OrderNotPaid
'''),
    (NB, "check_expected_error",
     "3.1 the class name as a string, despite the instruction",
     '''expected_error = "RefundExceedsPayment"
'''),
    (NB, "check_expected_error",
     "3.1 an instance of the error instead of the class",
     '''expected_error = RefundExceedsPayment("7", "refunds would exceed the payment")
'''),
    (NB, "check_expected_error",
     "3.1 None: forgot the refund of 20 (80 - 50 = 30 left, 15 fits), so 'nothing is raised'",
     '''expected_error = None
'''),
    (NB, "check_expected_error",
     "3.1 the base class OrderError: 'some business rule'",
     '''expected_error = OrderError
'''),
    (NB, "check_expected_error",
     "3.1 DuplicateRefund: 'a third refund on the same order is a duplicate'",
     '''from eventsim.shop.order import DuplicateRefund
expected_error = DuplicateRefund
'''),
    # ---- 3.2 add a rule ---------------------------------------------------------------------
    (NB, "check_decide_with_limit",
     "3.2 >= instead of >: an order of exactly 10,000 is refused",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount >= Decimal("10000"):
        raise InvalidAmount(command.order_id, "orders above 10,000 are not accepted")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 limit applied to every command with an amount (refunds, payments too)",
     '''def decide_with_limit(command, state):
    amount = getattr(command, "amount", None)
    if amount is not None and amount > Decimal("10000"):
        raise InvalidAmount(command.order_id, "amount above 10,000")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 refusal as an empty list of events instead of an exception",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > Decimal("10000"):
        return []
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 raises ValueError instead of the domain's InvalidAmount",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > Decimal("10000"):
        raise ValueError(f"order {command.order_id}: above the limit of 10,000")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 calls decide but forgets to return its events",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > Decimal("10000"):
        raise InvalidAmount(command.order_id, "above the limit")
    decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 checks the state's amount (0 for an order not placed yet) instead of the command's",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and state.amount > Decimal("10000"):
        raise InvalidAmount(command.order_id, "above the limit")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 the order id taken from the state (None before the order exists)",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > Decimal("10000"):
        raise InvalidAmount(state.order_id, "above the limit")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 checks the events after decide: every event with an amount over 10,000, refunds included",
     '''def decide_with_limit(command, state):
    events = decide(command, state)
    for event in events:
        if getattr(event, "amount", Decimal(0)) > Decimal("10000"):
            raise InvalidAmount(command.order_id, "above the limit")
    return events
'''),
    (NB, "check_decide_with_limit",
     "3.2 a zero dropped: limit of 1,000",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > Decimal("1000"):
        raise InvalidAmount(command.order_id, "above the limit")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 swallows the rules: catches OrderError from decide and returns no events",
     '''def decide_with_limit(command, state):
    if isinstance(command, PlaceOrder) and command.amount > Decimal("10000"):
        raise InvalidAmount(command.order_id, "above the limit")
    try:
        return decide(command, state)
    except OrderError:
        return []
'''),
    # ---- 3.3 a retry that does not refund twice ------------------------------------------------
    (NB, "check_retry",
     "3.3 no command id: the retry is a second refund (customer gets 10)",
     '''def refund_with_retry(shop):
    shop.handle(RequestRefund("T1", Decimal("5")))
    return shop.handle(RequestRefund("T1", Decimal("5")))
'''),
    (NB, "check_retry",
     "3.3 a fresh uuid per attempt: the command is built by a helper called twice, so the retry is a new request",
     '''import uuid


def _refund_request():
    return RequestRefund("T1", Decimal("5"), reason="customer asked", command_id=str(uuid.uuid4()))


def refund_with_retry(shop):
    shop.handle(_refund_request())
    return shop.handle(_refund_request())
'''),
    (NB, "check_retry",
     "3.3 same id but the retry adds a reason: a different request under a used id (CommandIdReused)",
     '''def refund_with_retry(shop):
    shop.handle(RequestRefund("T1", Decimal("5"), command_id="refund-T1"))
    return shop.handle(RequestRefund("T1", Decimal("5"), reason="retry", command_id="refund-T1"))
'''),
    (NB, "check_retry",
     "3.3 client-side dedupe: checks the state and does not send the retry, returning [] instead of the shop's answer",
     '''def refund_with_retry(shop):
    shop.handle(RequestRefund("T1", Decimal("5")))
    if shop.state("T1").refunds_requested >= Decimal("5"):
        return []
    return shop.handle(RequestRefund("T1", Decimal("5")))
'''),
    (NB, "check_retry",
     "3.3 refund_id used as the dedupe key: the retry raises DuplicateRefund",
     '''def refund_with_retry(shop):
    shop.handle(RequestRefund("T1", Decimal("5"), refund_id="R1"))
    return shop.handle(RequestRefund("T1", Decimal("5"), refund_id="R1"))
'''),
    (NB, "check_retry",
     "3.3 refund_id dedupe, and the DuplicateRefund swallowed into an empty answer",
     '''def refund_with_retry(shop):
    shop.handle(RequestRefund("T1", Decimal("5"), refund_id="R1"))
    try:
        return shop.handle(RequestRefund("T1", Decimal("5"), refund_id="R1"))
    except OrderError:
        return []
'''),
    (NB, "check_retry",
     "3.3 float money: Decimal forgotten, 5.0 (the rules refuse it)",
     '''def refund_with_retry(shop):
    command = RequestRefund("T1", 5.0, command_id="refund-T1")
    shop.handle(command)
    return shop.handle(command)
'''),
    (NB, "check_retry",
     "3.3 'the customer must get 5 back': also confirms the refund (an extra RefundPaid written)",
     '''def refund_with_retry(shop):
    command = RequestRefund("T1", Decimal("5"), refund_id="R1", command_id="refund-T1")
    shop.handle(command)
    again = shop.handle(command)
    shop.handle(ConfirmRefund("T1", refund_id="R1"))
    return again
'''),
    (NB, "check_retry",
     "3.3 returns nothing (the retry's answer is dropped)",
     '''def refund_with_retry(shop):
    command = RequestRefund("T1", Decimal("5"), command_id="refund-T1")
    shop.handle(command)
    shop.handle(command)
'''),
    (NB, "check_retry",
     "3.3 returns the state after the retry instead of the shop's answer",
     '''def refund_with_retry(shop):
    command = RequestRefund("T1", Decimal("5"), command_id="refund-T1")
    shop.handle(command)
    shop.handle(command)
    return shop.state("T1")
'''),
]

RIGHT = [
    (NB, "check_expected_error",
     "3.1 right, found by running decide on the given events and taking the error's type",
     '''try:
    decide(RequestRefund("x", Decimal("15")),
           fold([OrderCreated("x", Decimal("80")), OrderPaid("x"),
                 RefundCreated("x", Decimal("50"), "R1"), RefundCreated("x", Decimal("20"), "R2")]))
    expected_error = None
except OrderError as error:
    expected_error = type(error)
'''),
    (NB, "check_expected_error",
     "3.1 right, through the module attribute",
     '''import eventsim.shop.order
expected_error = eventsim.shop.order.RefundExceedsPayment
'''),
    (NB, "check_decide_with_limit",
     "3.2 right, a match statement with a guard and a module-level constant",
     '''LIMIT = Decimal("10000")


def decide_with_limit(command, state):
    match command:
        case PlaceOrder(amount=amount) if amount > LIMIT:
            raise InvalidAmount(command.order_id, f"{amount} is above the limit of {LIMIT}")
    return decide(command, state)
'''),
    (NB, "check_decide_with_limit",
     "3.2 right, amount read through to_money (strings and ints too), bad amounts left for decide to refuse",
     '''from eventsim import to_money


def decide_with_limit(command, state):
    if type(command).__name__ == "PlaceOrder":
        try:
            amount = to_money(command.amount)
        except ValueError:
            amount = None
        if amount is not None and amount > Decimal(10_000):
            raise InvalidAmount(command.order_id, "no order above 10,000")
    return decide(command, state)
'''),
    (NB, "check_retry",
     "3.3 right, one command object sent twice",
     '''def refund_with_retry(shop):
    request = RequestRefund("T1", Decimal("5"), reason="customer asked", command_id="refund-T1-5")
    shop.handle(request)
    return shop.handle(request)
'''),
    (NB, "check_retry",
     "3.3 right, the retry rebuilt with the same id and the same amount written differently (5 vs 5.00)",
     '''import uuid


def refund_with_retry(shop):
    command_id = str(uuid.uuid4())
    shop.handle(RequestRefund("T1", 5, command_id=command_id))
    return shop.handle(RequestRefund("T1", Decimal("5.00"), command_id=command_id))
'''),
]

if __name__ == "__main__":
    import ast
    for row in CASES + RIGHT:
        ast.parse(row[3])
    print(len(CASES), "cases,", len(RIGHT), "right: all parse")
