def count(
    data: bytes,
    width: int,
    user_at: int,
    type_at: int,
    time_at: int,
    field_limit: int,
    max_user_id: int,
    max_event_type: int,
    first_day: bytes,
    last_day: bytes,
    /,
) -> tuple[dict[str, dict[str, int]], int, list[int]]: ...
