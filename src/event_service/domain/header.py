"""The header record: which column holds what."""

from __future__ import annotations

import msgspec

from event_service.domain.errors import InvalidHeader

REQUIRED_COLUMNS = ("user_id", "event_type", "timestamp")
OPTIONAL_COLUMNS = ("event_id",)


class Header(msgspec.Struct, frozen=True):
    """Positions of the known columns, and the names of extra columns kept as string properties."""

    width: int
    user_id: int
    event_type: int
    timestamp: int
    event_id: int | None
    extras: tuple[tuple[int, str], ...]

    @classmethod
    def parse(cls, fields: list[str]) -> Header:
        """Names are trimmed and matched case-insensitively; a missing required column is an InvalidHeader."""
        names = [field.strip().lower() for field in fields]
        positions: dict[str, int] = {}
        for index, name in enumerate(names):
            if name and name not in positions:
                positions[name] = index
        missing = [column for column in REQUIRED_COLUMNS if column not in positions]
        if missing:
            found = ", ".join(f'"{name}"' for name in names if name) or "no column names"
            raise InvalidHeader(
                f"header lacks required column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; found {found}"
            )
        known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
        extras = tuple(
            (index, fields[index].strip())
            for index, name in enumerate(names)
            if name and name not in known and positions[name] == index
        )
        return cls(
            width=len(fields),
            user_id=positions["user_id"],
            event_type=positions["event_type"],
            timestamp=positions["timestamp"],
            event_id=positions.get("event_id"),
            extras=extras,
        )

    def column_name(self, index: int) -> str:
        for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
            if getattr(self, name) == index:
                return name
        return dict(self.extras).get(index, f"column {index + 1}")
