"""Money in the domain: always a ``Decimal`` with at most two decimal places.

Floats cannot hold 0.10 exactly, so ``0.10 + 0.20`` refunds would not add up
to ``0.30``.  Every amount that enters the domain passes through ``to_money``.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["Money", "to_money"]

Money = Decimal
_CENT = Decimal("0.01")


def to_money(value: object, what: str = "amount") -> Decimal:
    """Return ``value`` as a Decimal, or raise ``ValueError`` saying what is wrong.

    Accepts ``Decimal``, ``int`` and decimal strings such as ``"19.99"``;
    rejects floats (and bools), non-finite numbers and sub-cent precision.
    """
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a number") from None
    else:
        raise ValueError(
            f"{what} must be a Decimal, int or decimal string, not {type(value).__name__}"
            + (" (floats cannot hold cents exactly)" if isinstance(value, float) else "")
        )
    if not amount.is_finite():
        raise ValueError(f"{what} {value!r} is not a finite number")
    if amount.as_tuple().exponent < -2 and amount.normalize().as_tuple().exponent < -2:
        raise ValueError(f"{what} {value} has more than two decimal places")
    return amount
