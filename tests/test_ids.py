"""New ids: valid random UUID4 text, never the same twice, in threads and in a forked child too."""

import os
import threading
import uuid

import pytest

from eventsim.ids import MAX_ID_LENGTH, SeededIds, check_id, random_ids


def is_uuid4_text(text: str) -> bool:
    parsed = uuid.UUID(text)
    return str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_random_ids_are_uuid4_text_with_every_random_digit_random():
    fresh = [random_ids() for _ in range(3_000)]  # more than one block of them
    assert len(set(fresh)) == len(fresh)
    assert all(is_uuid4_text(text) for text in fresh)
    hex_digits = [text.replace("-", "") for text in fresh]
    for place in range(32):
        seen = {digits[place] for digits in hex_digits}
        if place == 12:  # the version
            assert seen == {"4"}
        elif place == 16:  # the variant: binary 10xx, its two low bits random
            assert seen == set("89ab")
        else:
            assert len(seen) == 16, f"hex digit {place} is not random: only {sorted(seen)}"


def ids_from_threads(make, threads: int, each: int) -> list[str]:
    """Every id that ``threads`` threads got from ``make``, ``each`` ids a thread, all at once."""
    got: list[list[str]] = [[] for _ in range(threads)]

    def take(mine: list[str]) -> None:
        for _ in range(each):
            mine.append(make())

    running = [threading.Thread(target=take, args=(mine,)) for mine in got]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return [text for mine in got for text in mine]


def test_threads_never_get_the_same_id():
    every = ids_from_threads(random_ids, 4, 5_000)
    assert len(set(every)) == len(every) == 20_000


def test_threads_sharing_seeded_ids_get_the_seeds_first_ids_none_skipped():
    alone = SeededIds(5)
    assert sorted(ids_from_threads(SeededIds(5), 8, 3_000)) == sorted(alone() for _ in range(24_000))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_gets_ids_of_its_own_not_its_parents_next_ones():
    random_ids()  # the parent has ids made and waiting when it forks
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: send its next ids to the parent, and leave without running pytest's exit code
        try:
            os.write(writer, "\n".join(random_ids() for _ in range(100)).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        childs = pipe.read().split("\n")
    os.waitpid(child, 0)
    parents = [random_ids() for _ in range(100)]
    assert len(childs) == 100 and all(is_uuid4_text(text) for text in childs)
    assert not set(childs) & set(parents)


def test_seeded_ids_are_the_same_text_as_uuid_gives_for_the_same_bits():
    import random

    bits = random.Random(7)
    seeded = SeededIds(7)
    assert [seeded() for _ in range(500)] == [str(uuid.UUID(int=bits.getrandbits(128), version=4)) for _ in range(500)]
    assert SeededIds(0)() == "e3e70682-c209-4cac-a29f-6fbed82c07cd"  # what notebooks and stored logs show


@pytest.mark.parametrize(
    "bad",
    ["", " ", "\u00a0A", "A\u3000", "A\t", "\u2028", "x" * (MAX_ID_LENGTH + 1), "a\x85b", 42, b"A"],
    ids=repr,
)
def test_check_id_refuses_blanks_of_every_kind_control_characters_and_long_ids(bad):
    with pytest.raises((TypeError, ValueError)):
        check_id(bad)


@pytest.mark.parametrize("good", ["A", "x" * MAX_ID_LENGTH, "order 7", "Ünïcødé-ÿ", "e3e70682-c209-4cac"], ids=repr)
def test_check_id_accepts_printable_text_with_inner_spaces(good):
    assert check_id(good) is good
