"""Table rendering: borders, alignment, multi-line cells, empty lists."""

from __future__ import annotations

from client.output import format_value, render_table


def test_an_empty_list_still_shows_the_header():
    assert render_table(["ID", "Name"], []).splitlines() == [
        "+----+------+",
        "| ID | Name |",
        "+----+------+",
    ]


def test_multi_line_cells_grow_the_row_and_numbers_align_right():
    table = render_table(["Name", "Size", "Attached to"], [["db", 10, "srv-1\nsrv-2"], ["x", 1, None]])

    assert table.splitlines()[3:7] == [
        "| db   |   10 | srv-1       |",
        "|      |      | srv-2       |",
        "| x    |    1 |             |",
        "+------+------+-------------+",
    ]


def test_values_are_formatted_the_openstack_way():
    assert format_value({"b": "2", "a": 1}) == "a='1', b='2'"
    assert format_value(None) == ""
    assert format_value(False) == "False"
    assert format_value([{"server_id": "s"}, "x"]) == '{"server_id": "s"}\nx'
