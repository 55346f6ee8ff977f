"""Notebook 11's exercise checks, fed the mistakes a learner is likely to make.

Each wrong answer must get ❌ with a hint that names the idea; the model
answer ✅; the placeholder "not answered yet".
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from test_exercise_mistakes import assert_correct, assert_pending, assert_wrong

from eventsim.workbook import exercises as ex
from eventsim.shop.commands import CancelOrder, PayOrder, PlaceOrder, RequestRefund, ShipOrder
from eventsim.shop.events import OrderCreated, OrderPaid, OrderShipped, RefundCreated
from eventsim.shop.order import OrderNotPaid, RefundExceedsPayment, decide, fold

# --- 11.1 event sourcing or CRUD -------------------------------------------------

FIT = {system: fit for system, (fit, _) in ex._SYSTEMS.items()}


def test_fit_solution_and_placeholder(capsys):
    assert_correct(capsys, ex.check_fit, FIT)
    assert_pending(capsys, ex.check_fit, {system: ... for system in FIT})


def test_fit_event_sourcing_everywhere_is_refused(capsys):
    assert_wrong(capsys, ex.check_fit, {system: ex.FITS for system in FIT}, concept="latest value")


def test_fit_one_swapped_answer_is_refused(capsys):
    swapped = {**FIT, "a company blog's pages": ex.FITS, "a bank account's ledger": ex.CRUD}
    assert_wrong(capsys, ex.check_fit, swapped, concept="history", never=("CRUD is enough",))


def test_fit_words_outside_the_vocabulary_are_refused(capsys):
    assert_wrong(capsys, ex.check_fit, {**FIT, "a company blog's pages": "ES"}, concept="FITS or CRUD")
    assert_wrong(capsys, ex.check_fit, {"a bank account's ledger": ex.FITS}, concept="give an answer")


# --- 11.2 where does a rule live ----------------------------------------------------

RULES = dict(ex._RULES)


def test_rule_boundaries_solution(capsys):
    assert_correct(capsys, ex.check_rule_boundaries, RULES)


def test_a_unique_order_id_thought_global_is_refused(capsys):
    assert_wrong(capsys, ex.check_rule_boundaries, {**RULES, "an order id is placed once": ex.ACROSS},
                 concept="NO_STREAM")


def test_a_customer_limit_kept_in_one_order_is_refused(capsys):
    wrong = {**RULES, "a customer owes at most 100.00 over all unpaid orders": ex.ONE_STREAM}
    assert_wrong(capsys, ex.check_rule_boundaries, wrong, concept="other orders")


def test_rule_boundaries_shape_slips(capsys):
    assert_wrong(capsys, ex.check_rule_boundaries, {**RULES, "an order is paid once": "one stream"},
                 concept="ONE_STREAM or ACROSS")
    assert_wrong(capsys, ex.check_rule_boundaries, [("an order is paid once", ex.ONE_STREAM)] * 2,
                 concept="the dict of the cell above")


# --- 11.3 events from a storyboard ---------------------------------------------------

STORY = [("GiftCardPurchased", {"cardId", "amount"}), ("GiftCardRedeemed", {"cardId", "amount"}),
         ("GiftCardExpired", {"cardId", "unusedAmount"})]


def test_storyboard_solution(capsys):
    assert_correct(capsys, ex.check_gift_card_events, STORY)
    assert_correct(capsys, ex.check_gift_card_events, [*STORY[:2], ("GiftCardExpired", {"cardId"})])


@pytest.mark.parametrize("story, concept", [
    ([("CreateGiftCard", {"cardId", "amount"}), *STORY[1:]], "past tense"),
    ([STORY[0], ("GiftCardUpdated", {"cardId", "amount"}), STORY[2]], "words of the storyboard"),
    ([STORY[0], ("BalanceChanged", {"cardId", "amount"}), STORY[2]], "words of the storyboard"),
    ([STORY[0], ("GiftCardRedeemed", {"cardId"}), STORY[2]], "facts its readers need"),
    ([STORY[1], STORY[0], STORY[2]], "order"),
    (STORY[:2], "moments"),
    ([("GiftCardPurchased", {"amount"}), *STORY[1:]], "which card"),
    ([("GiftCardBought", {"cardId", "amount"}), *STORY[1:]], "names offered"),
    ([("GiftCardPurchased", {"cardId", "amount", "buyerEmail"}), *STORY[1:]], "personal data"),
    ([STORY[0], ("GiftCardRedeemed", {"cardId", "amount", "customerName"}), STORY[2]], "personal data"),
], ids=["a command", "CRUD name", "technical name", "no amount", "order", "a moment missing", "no id", "made up",
        "an e-mail", "a name"])
def test_storyboard_mistakes(capsys, story, concept):
    assert_wrong(capsys, ex.check_gift_card_events, story, concept=concept)


def test_storyboard_shape_slip(capsys):
    assert_wrong(capsys, ex.check_gift_card_events, ["GiftCardPurchased", "GiftCardRedeemed"],
                 concept="could not read")


# --- 11.4 an idempotent receiver ---------------------------------------------------

def receive(inbox, message, effect):
    if message["messageId"] in inbox:
        return
    effect(message)
    inbox.add(message["messageId"])


def receive_without_memory(inbox, message, effect):
    effect(message)


def receive_by_content(inbox, message, effect):
    key = tuple(sorted((k, v) for k, v in message.items() if k != "messageId"))
    if key in inbox:
        return
    effect(message)
    inbox.add(key)


def receive_by_whole_message(inbox, message, effect):
    key = tuple(sorted(message.items()))
    if key in inbox:
        return
    effect(message)
    inbox.add(key)


def receive_marking_first(inbox, message, effect):
    if message["messageId"] in inbox:
        return
    inbox.add(message["messageId"])
    effect(message)


def test_receiver_solution(capsys):
    assert_correct(capsys, ex.check_receiver, receive)
    assert_pending(capsys, ex.check_receiver, lambda inbox, message, effect: ...)


@pytest.mark.parametrize("answer, concept", [
    (receive_without_memory, "at-least-once"),
    (receive_by_content, "message id"),
    (receive_by_whole_message, "attempt count"),
    (receive_marking_first, "after its effect succeeded"),
    ("receive", "should be a function"),
    (lambda inbox, message, effect: inbox.append(message), "failed while"),
], ids=["no memory", "by content", "by the whole message", "marks before the effect", "not a function", "inbox as a list"])
def test_receiver_mistakes(capsys, answer, concept):
    assert_wrong(capsys, ex.check_receiver, answer, concept=concept)


# --- 11.5 write the tests ----------------------------------------------------------------

placed = [OrderCreated("A", Decimal("30.00"))]
paid = [*placed, OrderPaid("A")]
CASES = [
    (paid, RequestRefund("A", Decimal("0.99")), ex.RefundTooSmall),
    (paid, RequestRefund("A", Decimal("1.00")), [RefundCreated("A", Decimal("1.00"), "R1")]),
    ([], PlaceOrder("A", Decimal("0.50")), [OrderCreated("A", Decimal("0.50"))]),
    (paid, RequestRefund("A", Decimal("31.00")), RefundExceedsPayment),
]


def test_tests_solution(capsys):
    assert_correct(capsys, ex.check_min_refund_tests, CASES)


def test_the_reference_keeps_the_old_rules_first():
    with pytest.raises(OrderNotPaid):
        ex.decide_min_refund(RequestRefund("A", Decimal("0.50")), fold(placed))
    assert ex.decide_min_refund(CancelOrder("A"), fold(paid)) == \
        decide(CancelOrder("A"), fold(paid))


@pytest.mark.parametrize("drop, mutant", [(0, "the rule left out"), (1, "exactly 1.00"),
                                          (2, "small orders"), (3, "beyond the payment")])
def test_a_table_missing_one_edge_lets_a_mutant_through(capsys, drop, mutant):
    out = assert_wrong(capsys, ex.check_min_refund_tests, [c for i, c in enumerate(CASES) if i != drop],
                       concept="a mistake")
    assert mutant in out


def test_only_happy_paths_are_refused(capsys):
    assert_wrong(capsys, ex.check_min_refund_tests, [(paid, ShipOrder("A"), [OrderShipped("A")])],
                 concept="a mistake")


def test_a_case_that_expects_the_wrong_thing_is_refused(capsys):
    wrong = [(paid, RequestRefund("A", Decimal("1.00")), ex.RefundTooSmall), *CASES[2:]]
    assert_wrong(capsys, ex.check_min_refund_tests, wrong, concept="by hand")
    assert_wrong(capsys, ex.check_min_refund_tests, [(paid, PayOrder("A", Decimal(30)), [])], concept="by hand")


def test_tests_shape_slips(capsys):
    assert_wrong(capsys, ex.check_min_refund_tests, [], concept="at least one")
    assert_wrong(capsys, ex.check_min_refund_tests, [RequestRefund("A", Decimal(1))], concept="could not read")


# --- 1b.1 which pattern? (notebook 1b) ------------------------------------------------

PATTERNS = dict(ex._SLICES)


def test_patterns_solution_and_placeholder(capsys):
    assert_correct(capsys, ex.check_patterns, PATTERNS)
    assert_pending(capsys, ex.check_patterns, {piece: ... for piece in PATTERNS})


@pytest.mark.parametrize("piece, answer, concept", [
    ("the payment provider's webhook 'payout.succeeded' becomes our ConfirmRefund", ex.AUTOMATION, "another system"),
    ("an order still unpaid after 24 hours is cancelled by a scheduled job", ex.TRANSLATION, "to-do list"),
    ("the finance team's daily revenue report", ex.STATE_CHANGE, "records nothing"),
    ("a clerk marks a paid order as shipped", ex.STATE_VIEW, "an event is recorded"),
])
def test_patterns_each_mix_up_gets_its_hint_without_naming_the_slice(capsys, piece, answer, concept):
    assert_wrong(capsys, ex.check_patterns, {**PATTERNS, piece: answer}, concept=concept, never=(piece,))


def test_patterns_one_pattern_everywhere_and_words_outside_the_four_are_refused(capsys):
    assert_wrong(capsys, ex.check_patterns, {piece: ex.STATE_CHANGE for piece in PATTERNS}, concept="all four")
    assert_wrong(capsys, ex.check_patterns, {**PATTERNS, "the finance team's daily revenue report": "view"},
                 concept="STATE_VIEW")


# --- 1b.2 what does OrderPaid carry? ---------------------------------------------------

def test_paid_fields_solution_variants_and_placeholder(capsys):
    assert_correct(capsys, ex.check_paid_fields, {"orderId", "amount", "currency"})
    assert_correct(capsys, ex.check_paid_fields, ["orderId", "amount", "currency", "paymentReference"])
    assert_pending(capsys, ex.check_paid_fields, ...)


@pytest.mark.parametrize("fields, concept", [
    ({"amount", "currency"}, "which order"),
    ({"orderId", "amount"}, "currency"),
    ({"orderId", "amount", "currency", "customerName"}, "forget"),
    ({"orderId", "amount", "currency", "totalPaidSoFar"}, "copies the order's state"),
    ({"order_id", "amount", "currency"}, "PAID_FIELDS"),
    ("orderId, amount, currency", "a set of field names"),
])
def test_paid_fields_mistakes_are_refused(capsys, fields, concept):
    assert_wrong(capsys, ex.check_paid_fields, fields, concept=concept)
