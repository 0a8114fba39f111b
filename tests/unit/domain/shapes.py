"""Rows in the shapes that ``domain/quick_count.py`` counts, and single variations of them it must refuse or
let through only where the exact parser accepts them: shared by the differential tests of counting without events.
"""

from __future__ import annotations

from hypothesis import strategies as st

from event_service.domain.events import MAX_EVENT_TYPE_LENGTH, MAX_USER_ID_LENGTH

COMMON = {
    "user_id": ["u1", "user000123", " u1 ", "a b", "!#$%&'()*+-./:;<=>?@[\\]^_`{|}~", "x" * MAX_USER_ID_LENGTH],
    "event_type": ["click", "page_view", " click", "click  ", "page view", "x" * MAX_EVENT_TYPE_LENGTH],
    "day": ["2024-03-10", "2024-02-29", "1971-01-01", "2025-06-01"],
    "separator": ["T", " "],
    "clock": ["00:00:00", "23:59:59", "12:30:45", "19:09:09"],
    "fraction": ["", "", ".1", ".123", ".999999"],
    "zone": ["", "Z", "+00:00"],
    "before": ["", "", " "],
    "after": ["", "", " "],
    "event_id": ["", "e1", " e1 ", "caf\u00e9", "\u65e5"],
    "extra": ["", "v", " v ", "tab\there", "caf\u00e9", "\u2028"],
}
"""Values of rows the expression counts (given a day within the bounds)."""
RARE = {
    "user_id": [
        "x" * (MAX_USER_ID_LENGTH + 1),
        " " * 3 + "x" * MAX_USER_ID_LENGTH,
        " " * 9 + "x",
        " " * 10,
        "n\x85l",
        "x" * MAX_USER_ID_LENGTH + "  ",
        "",
        "   ",
        "caf\u00e9",
        "cafe\u0301",
        "tab\there",
        "bell\x07",
        "del\x7f",
        "nel\x85",
        "\udcff",
        "a\u00a0",
        "\u2028",
        '"',
    ],
    "event_type": [
        "x" * (MAX_EVENT_TYPE_LENGTH + 1),
        "x" * MAX_EVENT_TYPE_LENGTH + " ",
        " " + "x" * MAX_EVENT_TYPE_LENGTH,
        "",
        " ",
        "caf\u00e9",
        "cafe\u0301",
        "\u65e5\u672c",
        "tab\t",
        "bell\x07",
        "\udcc3",
        "\u00a0click",
        "c\x9fk",
        "2024-03-10",
    ],
    "day": [
        "2023-02-29",
        "2024-02-30",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-01-32",
        "0000-01-01",
        "1970-12-31",
        "2025-06-02",
        "2025-06-03",
        "9999-12-31",
        "2024-W10-1",
        "2024-3-10",
        "2024-03-1",
        "20240310",
        "2024-03-1x",
        "\uff12024-03-10",
    ],
    "separator": ["t", "_", "  ", "T ", ""],
    "clock": [
        "24:00:00",
        "23:60:00",
        "23:59:60",
        "9:00:00",
        "12:30",
        "12:30:4",
        "1\u0662:30:45",
        "12-30-45",
        "12:3:45",
    ],
    "fraction": [".", ".1234567", ".12a", ",5", ".\u0661"],
    "zone": ["z", "-00:00", "+01:00", "-05:30", "+0000", "+00", "+00:00:00", "Z+00:00", "+24:00"],
    "before": [" " * 9, "\t"],
    "after": [" " * 9, "\t"],
    "event_id": ["bell\x07", "nel\x85", "n\x85l", "\x9f", "\udcff", "\t", "\x00", "x" * 50],
    "extra": ["\x07", "\udcff", "\x00", "5'10\"", "x" * 50],
    "timestamp": ["1710072000", "1710072000.5", "1710072000500", "", "soon", "\udcff", "-1"],
}
"""Values that the expression must refuse, or may accept only when the exact parser does, one a row at most."""


def row(part: dict[str, str], timestamp: str | None = None) -> dict[str, str]:
    """The values of a row by column name, from its parts (``timestamp`` in place of the one they spell)."""
    stamp = part["day"] + part["separator"] + part["clock"] + part["fraction"] + part["zone"]
    return {
        "user_id": part["user_id"],
        "event_type": part["event_type"],
        "timestamp": part["before"] + (stamp if timestamp is None else timestamp) + part["after"],
        "event_id": part["event_id"],
        "extra": part["extra"],
    }


def line(columns: list[str], values: dict[str, str]) -> str:
    return ",".join(values.get(name, values["extra"]) for name in columns)


@st.composite
def row_values(draw: st.DrawFn) -> dict[str, str]:
    """A row's values, all common but for at most one part (so each rare value meets an otherwise valid row)."""
    rare = draw(st.sampled_from(list(RARE))) if draw(st.integers(0, 9)) < 3 else None
    part = {name: draw(st.sampled_from(RARE[name] if name == rare else values)) for name, values in COMMON.items()}
    return row(part, draw(st.sampled_from(RARE["timestamp"])) if rare == "timestamp" else None)


@st.composite
def headers(draw: st.DrawFn) -> list[str]:
    optional = draw(st.sampled_from([[], ["event_id"], ["note"], ["event_id", "note"], ["note", "", "User_ID"]]))
    columns: list[str] = draw(st.permutations(["user_id", "event_type", "timestamp", *optional]))
    if draw(st.booleans()):  # the benchmark's order, and the order that joins type and day in one capture
        columns.remove("event_type")
        columns.insert(columns.index("timestamp"), "event_type")
    return columns
