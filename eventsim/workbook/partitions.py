"""A model of a Kafka-style topic, small enough to read whole: a learning aid, not a client.

It models what a consumer of a topic must get right: a topic is split into
*partitions*; a message's *key* picks its partition, so one key's messages
keep their order; each partition numbers its messages with *offsets* from 0;
a consumer keeps one *committed offset* per partition (the next offset it
will read, as Kafka's are), and a consumer that fails before it commits gets
the same messages again (*redelivery*); old messages go, by age
(``cleanup.policy=delete``) or by key (``compact``: the latest message of
each key stays).

It is a model: one process, in memory, no broker.  A real Kafka cluster
adds what matters in production and nothing here imitates: replication of
each partition across brokers, consumer *groups* that share a topic's
partitions and rebalance them when a member joins or dies, segments deleted
by size as well as age, idempotent producers (a retried send is stored
once per partition) and transactions, whose ``transactional.id`` fences a
"zombie" producer that an older instance left running.  None of that adds
what an event store needs to decide a command: an append that succeeds only
if a key is at the version the writer read.

Retention here deletes message by message; a broker deletes whole segment
files once every message in them is past ``retention.ms``, so a message may
stay a little longer there.

Partitions are chosen with CRC32 of the key (Kafka's Java client uses
murmur2): another hash, the same property, one key always in one partition.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["COMPACT", "DELETE", "RETENTION_SECONDS", "Consumer", "Message", "OffsetOutOfRange", "Topic"]

DELETE, COMPACT = "delete", "compact"  # Kafka's cleanup.policy values; ``delete`` is its default
RETENTION_SECONDS = 7 * 24 * 3600  # Kafka's default retention.ms, 604800000: seven days


class OffsetOutOfRange(LookupError):
    """A read asked for an offset that retention has already deleted (or that does not exist yet)."""


@dataclass(frozen=True)
class Message:
    """One message as a consumer gets it: where it sits (partition, offset), its key and value."""

    partition: int
    offset: int
    key: str
    value: Any
    timestamp: int  # Unix seconds, given by the producer: retention measures age from it


class Topic:
    """Partitions of messages, appended to by key, with no condition: whatever is there, the message goes on.

    ``cleanup_policy`` is ``DELETE`` (messages older than ``retention_seconds`` go) or ``COMPACT`` (only the
    latest message of each key stays); ``clean(now)`` applies it, as the broker does in the background.
    """

    def __init__(
        self,
        name: str,
        partitions: int = 3,
        *,
        cleanup_policy: str = DELETE,
        retention_seconds: int = RETENTION_SECONDS,
    ):
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ValueError(f"topic {name!r}: partitions is a whole number, 1 or more, not {partitions!r}")
        if cleanup_policy not in (DELETE, COMPACT):
            raise ValueError(f"topic {name!r}: cleanup_policy is {DELETE!r} or {COMPACT!r}, not {cleanup_policy!r}")
        self.name = name
        self.cleanup_policy = cleanup_policy
        self.retention_seconds = retention_seconds
        self._logs: list[list[Message]] = [[] for _ in range(partitions)]
        self._ends = [0] * partitions  # the next offset of each partition: offsets are never reused
        self._starts = [0] * partitions  # the first offset still readable: retention moves it, compaction does not

    @property
    def partitions(self) -> int:
        return len(self._logs)

    def partition_for(self, key: str) -> int:
        """The partition a key's messages go to: always the same one, so one key's messages keep their order."""
        if not isinstance(key, str):
            raise TypeError(f"topic {self.name!r}: a key is a str, not {type(key).__name__}")
        return zlib.crc32(key.encode()) % self.partitions

    def produce(self, key: str, value: Any, *, timestamp: int = 0) -> Message:
        """Append a message to its key's partition and return it. Nothing is checked: no version, no rule."""
        partition = self.partition_for(key)
        message = Message(partition, self._ends[partition], key, value, timestamp)
        self._logs[partition].append(message)
        self._ends[partition] += 1
        return message

    def log_start(self, partition: int) -> int:
        """The first offset still readable in ``partition`` (it moves on as retention deletes)."""
        return self._starts[partition]

    def end_offset(self, partition: int) -> int:
        """The offset the next message of ``partition`` will get."""
        return self._ends[partition]

    def read(self, partition: int, offset: int, limit: int | None = None) -> list[Message]:
        """The messages of ``partition`` from ``offset`` on (at most ``limit``), in offset order.

        An offset before ``log_start`` was deleted: ``OffsetOutOfRange``, as a real consumer gets it
        (its ``auto.offset.reset`` then decides where to start instead).
        """
        if not self.log_start(partition) <= offset <= self._ends[partition]:
            raise OffsetOutOfRange(
                f"topic {self.name!r} partition {partition}: offset {offset} is outside "
                f"{self.log_start(partition)}..{self._ends[partition]} (deleted by retention, or not written yet)"
            )
        found = [m for m in self._logs[partition] if m.offset >= offset]  # compaction leaves holes in offsets
        return found if limit is None else found[:limit]

    def messages(self) -> list[Message]:
        """Every message still in the topic, partition by partition."""
        return [message for log in self._logs for message in log]

    def clean(self, now: int) -> int:
        """Apply the cleanup policy at time ``now``; return how many messages it removed."""
        removed = 0
        for partition, log in enumerate(self._logs):
            if self.cleanup_policy == DELETE:
                kept = [m for m in log if now - m.timestamp < self.retention_seconds]
                self._starts[partition] = kept[0].offset if kept else self._ends[partition]
            else:
                last = {m.key: m.offset for m in log}
                kept = [m for m in log if last[m.key] == m.offset]  # offsets stay: a compacted log has holes
            removed += len(log) - len(kept)
            self._logs[partition] = kept
        return removed

    def __repr__(self) -> str:
        sizes = ", ".join(f"{p}: {len(log)}" for p, log in enumerate(self._logs))
        return f"<Topic {self.name}: {self.partitions} partitions (messages {sizes}), {self.cleanup_policy}>"


class Consumer:
    """Reads a topic with one committed offset per partition: its checkpoints.

    ``committed[p]`` is the next offset to read in partition ``p``, as Kafka commits it.  ``poll`` never
    commits: until ``commit`` is called, every poll hands out the same messages again, which is what a
    consumer restarted after a crash sees (redelivery).  ``poll`` takes one message from each partition in
    turn, so messages of different partitions arrive interleaved, not in the order they were produced.
    """

    def __init__(self, topic: Topic, committed: dict[int, int] | None = None):
        self.topic = topic
        self.committed = {p: topic.log_start(p) for p in range(topic.partitions)}
        self.committed.update(committed or {})

    def poll(self, max_messages: int | None = None) -> list[Message]:
        """The messages after each partition's committed offset, partitions taking turns."""
        pending = [self.topic.read(p, offset) for p, offset in self.committed.items()]
        polled: list[Message] = []
        for turn in range(max((len(batch) for batch in pending), default=0)):
            polled += [batch[turn] for batch in pending if turn < len(batch)]
        return polled if max_messages is None else polled[:max_messages]

    def commit(self, messages: Message | Iterable[Message]) -> None:
        """Record that these messages are done: each partition's checkpoint moves past the last one of it."""
        for message in [messages] if isinstance(messages, Message) else messages:
            if message.offset + 1 > self.committed[message.partition]:
                self.committed[message.partition] = message.offset + 1

    def lag(self) -> int:
        """Messages not yet committed, over all partitions."""
        return sum(self.topic.end_offset(p) - offset for p, offset in self.committed.items())

    def __repr__(self) -> str:
        return f"<Consumer of {self.topic.name}: committed {self.committed}, lag {self.lag()}>"
