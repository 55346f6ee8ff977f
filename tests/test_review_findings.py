"""Bugs the review found in files other helpers own: each test fails today and is marked so.

When a fix lands, its test passes, the strict xfail turns red, and whoever fixed it removes the mark.
"""
import pytest

from eventsim.jsonl import EventFormatError, loads


@pytest.mark.parametrize(
    "line",
    [
        '{"eventType": "OrderCreated", "orderId": "1", "amount": 10, "amount": 20, "timestamp": 1}',
        '{"eventType": "OrderCreated", "eventType": "OrderPaid", "orderId": "1", "timestamp": 1}',
    ],
)
def test_a_line_with_a_repeated_key_is_refused_naming_the_line_and_the_key(line):
    # The HTTP API refuses such a body ("the field 'amount' appears twice"); a log line has no one meaning either.
    with pytest.raises(EventFormatError, match=r"line 3.*(amount|eventType)"):
        loads(line, line=3)
