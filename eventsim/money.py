"""Money in the domain: always a ``Decimal``, exact to the cent, and bounded.

Floats cannot hold 0.10 exactly, so ``0.10 + 0.20`` refunds would not add up
to ``0.30``.  Every amount that enters the domain passes through ``to_money``,
which never rounds: an amount it cannot hold exactly is refused.

The bound, ``MAX_AMOUNT`` (one trillion), is what keeps the arithmetic exact:
Python's ``Decimal`` works to 28 significant digits, and beyond that it
rounds silently.  An amount up to 10**12 with cents has at most 14 digits, so
the totals of a million such orders (20 digits) are still exact.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation

__all__ = ["Money", "MAX_AMOUNT", "to_money"]

Money = Decimal
MAX_AMOUNT = Decimal(10) ** 12
_CENT = Decimal("0.01")
_SHOWN = Context(prec=6, Emax=MAX_EMAX, Emin=MIN_EMIN)  # six digits of any finite Decimal, for a message


def to_money(value: object, what: str = "amount") -> Decimal:
    """Return ``value`` as a Decimal, or raise ``ValueError`` saying what is wrong.

    Accepts ``Decimal``, ``int`` and decimal strings such as ``"19.99"``;
    rejects floats (and bools), non-finite numbers, amounts beyond
    ``MAX_AMOUNT`` either way, and non-zero digits below the cent.
    ``"10.000"`` is the same amount as ``"10.00"`` and comes back as that.
    """
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 15_000:  # about 4,500 digits: too many to convert for a message
            raise ValueError(f"{what} has about {int(value.bit_length() * 0.30103):,} digits; not an amount")
        amount = Decimal(value)  # then judged as any Decimal: a number and a string of it get the same words
    elif isinstance(value, str):
        if len(value) > 64:
            raise ValueError(f"{what} {value[:20]!r}… is {len(value)} characters long, not an amount")
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
    if not -MAX_AMOUNT <= amount <= MAX_AMOUNT:  # comparisons are exact: no rounding, no overflow
        shown = format(amount.normalize(_SHOWN), "g")  # 1e+30 however it was written: 10**30, 1E30, "1e30"
        raise ValueError(f"{what} {shown} is more than the most an amount can be, {MAX_AMOUNT:,}")
    if amount.same_quantum(_CENT):  # written to the cent, as most amounts are: nothing below it to check
        return amount
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]  # finite, so the exponent is an int
        cents = amount.quantize(_CENT)  # exact here: at most 15 digits
        if cents != amount:
            raise ValueError(f"{what} {amount} has digits below the cent")
        amount = cents
    return amount
