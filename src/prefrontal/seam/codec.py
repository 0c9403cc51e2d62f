"""One serializer for the event union, used by the journal and remote workers alike."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError

from prefrontal.errors import RecordError
from prefrontal.seam.events import Event

_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def encode_event(event: Event) -> str:
    return event.model_dump_json()


def decode_event(data: str | bytes) -> Event:
    try:
        return _ADAPTER.validate_json(data)
    except ValidationError as error:
        raise RecordError(
            f"a journal record does not match any event kind: {error.errors()[0]['msg']} "
            f"in {str(data)[:200]!r}. The journal may have been written by a newer Prefrontal."
        ) from error
