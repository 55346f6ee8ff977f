"""Notebook 10's checks accept the solutions and refuse the usual wrong answers, saying why."""
import pytest

from eventsim.shop.order import STATE_SCHEMA, fold, state_from_json
from eventsim.workbook.evolution_exercises import (
    check_forget_customer,
    check_snapshot_loader,
    check_upcaster,
)
from eventsim.workbook.exercises import CORRECT, PENDING, WRONG


def said(capsys):
    return capsys.readouterr().out


# --- 10.1 ---------------------------------------------------------------------------------

def good_upcaster(payload):
    return {**payload, "currency": "EUR"}


def mutating_upcaster(payload):
    payload["currency"] = "EUR"
    return payload


def wrong_currency(payload):
    return {**payload, "currency": "USD"}


def test_10_1_accepts_a_pure_upcaster(capsys):
    check_upcaster(good_upcaster)
    assert said(capsys).startswith(CORRECT)


def test_10_1_refuses_an_upcaster_that_mutates_its_input(capsys):
    check_upcaster(mutating_upcaster)
    out = said(capsys)
    assert out.startswith(WRONG) and "you changed the payload you were given" in out


def test_10_1_refuses_the_wrong_assumption(capsys):
    check_upcaster(wrong_currency)
    assert "add currency 'EUR'" in said(capsys)


def test_10_1_waits_for_an_answer(capsys):
    check_upcaster(lambda payload: ...)
    assert said(capsys).startswith(PENDING)


# --- 10.2 ---------------------------------------------------------------------------------

def good_loader(events, snapshot):
    if snapshot is None or snapshot.schema != STATE_SCHEMA:
        return fold(events)
    return fold(events[snapshot.version:], state_from_json(snapshot.state))


def trusting_loader(events, snapshot):  # uses any snapshot, whatever shape it was written in
    if snapshot is None:
        return fold(events)
    return fold(events[snapshot.version:], state_from_json(snapshot.state))


def refolding_loader(events, snapshot):  # starts from the snapshot and folds everything again
    if snapshot is None or snapshot.schema != STATE_SCHEMA:
        return fold(events)
    return fold(events, state_from_json(snapshot.state))


def test_10_2_accepts_a_loader_that_checks_the_schema(capsys):
    check_snapshot_loader(good_loader)
    assert said(capsys).startswith(CORRECT)


def test_10_2_refuses_a_snapshot_used_across_a_state_shape_change(capsys):
    check_snapshot_loader(trusting_loader)
    out = said(capsys)
    assert out.startswith(WRONG) and "with a snapshot of an older schema" in out and "STATE_SCHEMA" in out


def test_10_2_refuses_folding_the_events_before_the_snapshot_again(capsys):
    check_snapshot_loader(refolding_loader)
    assert "fold only the events after snapshot.version" in said(capsys)


# --- 10.3 ---------------------------------------------------------------------------------

def good_forget(vault, read_model, customer_id):
    vault.forget(customer_id)
    for row in read_model.values():
        if row["customer_id"] == customer_id:
            row.update(name=None, email=None, address=None)


def deletes_the_orders(vault, read_model, customer_id):  # the solution before issue 23: the orders went too
    vault.forget(customer_id)
    for order_id in [o for o, row in read_model.items() if row["customer_id"] == customer_id]:
        del read_model[order_id]


def blanks_the_read_model_only(vault, read_model, customer_id):  # the key still opens every copy
    for row in read_model.values():
        if row["customer_id"] == customer_id:
            row.update(name="(forgotten)", email="(forgotten)", address="(forgotten)")


def deletes_the_key_only(vault, read_model, customer_id):  # plaintext stays in the read model
    vault.forget(customer_id)


def test_10_3_accepts_forgetting_the_key_and_the_copies(capsys):
    check_forget_customer(good_forget)
    assert said(capsys).startswith(CORRECT)


def test_10_3_refuses_a_deletion_that_leaves_the_key(capsys):
    check_forget_customer(blanks_the_read_model_only)
    out = said(capsys)
    assert out.startswith(WRONG) and "the key still opens the sealed data" in out


def test_10_3_refuses_a_deletion_that_leaves_plaintext_in_a_read_model(capsys):
    check_forget_customer(deletes_the_key_only)
    out = said(capsys)
    assert out.startswith(WRONG) and "the read model still holds the customer's address, email, name" in out


def test_10_3_refuses_deleting_the_customers_orders(capsys):
    check_forget_customer(deletes_the_orders)
    out = said(capsys)
    assert out.startswith(WRONG) and "Forget the person, not the orders" in out


def forgets_everyone(vault, read_model, customer_id):  # the read model of every other customer goes too
    vault.forget(customer_id)
    read_model.clear()


def forgets_every_key(vault, read_model, customer_id):  # every customer's sealed data becomes unreadable
    for other in {row["customer_id"] for row in read_model.values()}:
        vault.forget(other)
    good_forget(vault, read_model, customer_id)


@pytest.mark.parametrize("answer", [forgets_everyone, forgets_every_key])
def test_10_3_refuses_a_deletion_that_forgets_other_customers_too(capsys, answer):
    check_forget_customer(answer)
    out = said(capsys)
    assert out.startswith(WRONG) and "only this customer" in out


# --- issue 24: what the notebook's fixture let through ----------------------------------------

def test_10_1_an_amount_turned_into_a_float_is_refused(capsys):
    check_upcaster(lambda payload: {**payload, "amount": float(payload["amount"]), "currency": "EUR"})
    out = said(capsys)
    assert out.startswith(WRONG) and "never float" in out


def test_10_1_an_upcaster_that_raises_is_told_which_error(capsys):
    check_upcaster(lambda payload: {**payload, "currency": payload["currency"]})
    out = said(capsys)
    assert out.startswith(WRONG) and "KeyError 'currency'" in out and "could not read" not in out


def version_only(events, snapshot):
    if snapshot is None or snapshot.schema.split(":")[0] != STATE_SCHEMA.split(":")[0]:
        return fold(events)
    return fold(events[snapshot.version:], state_from_json(snapshot.state))


def fingerprint_only(events, snapshot):
    if snapshot is None or snapshot.schema.split(":")[1] != STATE_SCHEMA.split(":")[1]:
        return fold(events)
    return fold(events[snapshot.version:], state_from_json(snapshot.state))


@pytest.mark.parametrize("loader, part", [(version_only, "fingerprint"), (fingerprint_only, "version")])
def test_10_2_half_of_the_schema_is_not_enough(loader, part, capsys):
    check_snapshot_loader(loader)
    out = said(capsys)
    assert out.startswith(WRONG) and f"whose {part} differs" in out and "OrderState(" not in out


def test_10_2_a_loader_that_never_uses_the_snapshot_is_refused(capsys):
    check_snapshot_loader(lambda events, snapshot: fold(events))
    out = said(capsys)
    assert out.startswith(WRONG) and "did not start from it" in out


def test_10_3_every_order_of_the_customer_and_nothing_derived_from_their_data(capsys):
    def first_order_only(vault, read_model, customer_id):
        vault.forget(customer_id)
        for row in read_model.values():
            if row["customer_id"] == customer_id:
                row.update(name=None, email=None, address=None)
                break
    check_forget_customer(first_order_only)
    assert said(capsys).startswith(WRONG)

    def hashed(vault, read_model, customer_id):
        import hashlib
        vault.forget(customer_id)
        for row in read_model.values():
            if row["customer_id"] == customer_id:
                for field in ("name", "email", "address"):
                    row[field] = hashlib.sha256(row[field].encode()).hexdigest()
    check_forget_customer(hashed)
    out = said(capsys)
    assert out.startswith(WRONG) and "a hash or a mask" in out

    def blanked(vault, read_model, customer_id):  # a right variant: rows kept, data blanked
        vault.forget(customer_id)
        for row in read_model.values():
            if row["customer_id"] == customer_id:
                row.update(name="(forgotten)", email="(forgotten)", address="(forgotten)")
    check_forget_customer(blanked)
    assert said(capsys).startswith(CORRECT)
