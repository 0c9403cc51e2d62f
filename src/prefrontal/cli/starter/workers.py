"""Tool workers: typed functions; their schemas come from the type hints."""


def count_words(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())
