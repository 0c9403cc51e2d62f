"""Rule policies: plain functions (state, event) -> Decision. No model needed."""

from prefrontal import (
    CommissionAction,
    Decision,
    DomainView,
    InboundEvent,
    ReplyAction,
    Report,
    RoutedEvent,
)


def notes(state: DomainView, event: InboundEvent) -> Decision:
    if isinstance(event, RoutedEvent):
        return Decision.of(CommissionAction(worker="count_words", inputs={"text": event.text}))
    if isinstance(event, Report) and event.ok:
        return Decision.of(ReplyAction(text=f"That note has {event.output} words."))
    if isinstance(event, Report):
        return Decision.of(ReplyAction(text=f"count_words failed: {event.error}"))
    return Decision.of()
