"""The partitioned-log model of notebook 8c (eventsim.workbook.partitions) and exercise 8c.1's check.

The model must behave as the notebook says a topic does: one key in one partition, in order; offsets per
partition; a consumer that gets uncommitted messages again; retention that deletes by age or keeps each key's
latest; and no condition on an append. Exercise 8c.1's check must refuse consumers that the bus breaks.
"""
from decimal import Decimal

import pytest

from eventsim.workbook.database_exercises import check_public_consumer
from eventsim.workbook.partitions import COMPACT, RETENTION_SECONDS, Consumer, OffsetOutOfRange, Topic


def filled(partitions=3, **config):
    topic = Topic("t", partitions, **config)
    for n in range(12):
        topic.produce(f"k{n % 4}", n, timestamp=n)
    return topic


def test_one_key_stays_in_one_partition_in_order_and_offsets_count_per_partition():
    topic = filled()
    for key in ("k0", "k1", "k2", "k3"):
        found = [m for m in topic.messages() if m.key == key]
        assert len({m.partition for m in found}) == 1
        assert [m.value for m in found] == sorted(m.value for m in found)
    for p in range(topic.partitions):
        assert [m.offset for m in topic.read(p, 0)] == list(range(topic.end_offset(p)))
    assert len({m.offset for m in topic.messages()}) < len(topic.messages())  # offsets repeat across partitions


def test_a_consumer_interleaves_partitions_and_gets_uncommitted_messages_again():
    topic = filled()
    consumer = Consumer(topic)
    first = consumer.poll()
    assert sorted(m.value for m in first) == list(range(12))
    assert [m.value for m in first] != list(range(12))  # not the order they were produced in
    assert consumer.poll() == first  # nothing committed: redelivered
    consumer.commit(first[:5])
    again = consumer.poll()
    assert set(again) == set(first) - set(first[:5]) and consumer.lag() == len(again)
    consumer.commit(again)
    assert consumer.poll() == [] and consumer.lag() == 0
    consumer.commit(first[:1])  # an older commit never moves a checkpoint back
    assert consumer.poll() == []


def test_retention_deletes_by_age_and_compaction_keeps_each_keys_latest():
    topic = filled()
    assert topic.clean(now=RETENTION_SECONDS + 5) == 6  # timestamps 0..5 are at least seven days old
    assert sorted(m.value for m in topic.messages()) == list(range(6, 12))
    p = topic.partition_for("k0")
    with pytest.raises(OffsetOutOfRange, match="deleted by retention"):
        topic.read(p, 0)
    compacted = filled(cleanup_policy=COMPACT)
    assert compacted.clean(now=10**9) == 8
    assert {m.key: m.value for m in compacted.messages()} == {"k0": 8, "k1": 9, "k2": 10, "k3": 11}
    kept = compacted.read(compacted.partition_for("k3"), 0)
    assert [m.key for m in kept].count("k3") == 1 and kept[-1].offset == compacted.end_offset(kept[-1].partition) - 1


def test_a_topic_appends_whatever_it_is_given_and_refuses_bad_configuration():
    topic = Topic("t", 1)
    assert [topic.produce("S1", "refund 80").offset for _ in range(2)] == [0, 1]
    with pytest.raises(ValueError, match="partitions"):
        Topic("t", 0)
    with pytest.raises(ValueError, match="cleanup_policy"):
        Topic("t", 1, cleanup_policy="forever")
    with pytest.raises(TypeError, match="key"):
        topic.produce(1, "x")


def receive_right(state, message):
    event = message.value
    inbox = state.setdefault("inbox", set())
    if event["messageId"] in inbox:
        return state
    inbox.add(event["messageId"])
    order = event["orderId"]
    if event["type"] == "order.refunded":
        state["refunded"][order] = state["refunded"].get(order, Decimal(0)) + Decimal(event["amount"])
    newest = state.setdefault("sequence", {})
    if event["sequence"] > newest.get(order, 0):
        newest[order] = event["sequence"]
        state["latest"][order] = event["type"]
    return state


def per_partition_checkpoint(state, message):
    done = state.setdefault("committed", {})
    if message.offset < done.get(message.partition, 0):
        return state
    done[message.partition] = message.offset + 1
    state.setdefault("inbox", set()).discard(message.value["messageId"])  # so that receive_right never skips
    return receive_right(state, message)


def last_delivered_wins(state, message):
    state = receive_right(state, message)
    state["latest"][message.value["orderId"]] = message.value["type"]
    return state


@pytest.mark.parametrize("receive, hint", [
    (receive_right, None),
    (per_partition_checkpoint, "relay's second copy has new ones"),
    (last_delivered_wins, "highest sequence"),
])
def test_8c_1_refuses_what_the_bus_breaks(receive, hint, capsys):
    check_public_consumer(receive)
    out = capsys.readouterr().out
    assert out.startswith("✅") if hint is None else (out.startswith("❌ Exercise 8c.1") and hint in out)


def test_the_picture_says_where_each_partitions_checkpoint_is():
    from eventsim.workbook.charts import alt_text
    from eventsim.workbook.diagrams import partitions_diagram

    topic = filled()
    consumer = Consumer(topic)
    consumer.commit(consumer.poll()[:4])
    text = alt_text(partitions_diagram(topic, consumer, label=lambda m: f"value {m.value}"))
    for p, committed in consumer.committed.items():
        kept = topic.read(p, 0)
        assert f"partition {p}: offsets 0 ({kept[0].key} value {kept[0].value})" in text
        assert f"committed offset {committed}, {committed} done, {len(kept) - committed} to read" in text
