"""One `home` domain on a SQLite file whose rule replies ``noted: <text>`` to each routed
request: the smallest whole flow, for tests about the driver rather than the policy.

``CONFIG.format(db=PATH, module=NAME)`` and ``write_config(..., NAME=MODULE)``.
"""

CONFIG = """
[journal]
url = "sqlite:///{db}"

[domains.home]
charter = "the house"
policy = "{module}:home"
"""

MODULE = """
from prefrontal import *

def home(state, event):
    if isinstance(event, RoutedEvent):
        return Decision.of(ReplyAction(text="noted: " + event.text[:40]))
    return Decision.of()
"""
