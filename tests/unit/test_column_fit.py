"""How the composer's narrow lists share their width out among their columns."""

from __future__ import annotations

from flowdock_desktop.ui.column_fit import share_widths

LEAST = 20


def test_columns_that_fit_keep_their_whole_widths():
    wanted = [60, 100, 40, 30]
    assert share_widths(wanted, 400, LEAST, {0: 0.25}, {1: 1, 2: 1}) == wanted


def test_the_shared_columns_divide_what_is_left_by_their_weights():
    # The Outbox tab's shape: State and Next try capped, Tries whole, Title, Integration and
    # Problem sharing 2:1:2.
    wanted = [137, 305, 261, 37, 88, 841]
    widths = share_widths(wanted, 340, LEAST, {0: 1 / 4, 4: 0.3}, {1: 2, 2: 1, 5: 2})
    # State a quarter of the list; Tries whole, Next try too (within 30% of the list); the
    # 130 pixels left shared 52, 26, 52.
    assert widths == [85, 52, 26, 37, 88, 52]


def test_a_shared_column_wanting_less_than_its_part_is_whole_and_the_others_share_the_rest():
    wanted = [50, 30, 400, 40, 500]
    widths = share_widths(wanted, 340, LEAST, {0: 1 / 4}, {1: 2, 2: 1, 4: 2})
    # The title's 30 whole; the 220 pixels left shared 1:2, the odd one to the first.
    assert widths == [50, 30, 74, 40, 146]


def test_no_capped_or_shared_column_is_narrower_than_the_least():
    # 15 pixels left for two shared columns: each has the least instead of 8 and 7.
    widths = share_widths([200, 300, 300, 150], 220, LEAST, {0: 1 / 4}, {1: 1, 2: 1})
    assert widths == [55, LEAST, LEAST, 150]
