"""A custom scoring function named in a scenario as ``tests.market.scorers:contains_reference``."""


def contains_reference(prediction: str, reference: str, item: dict) -> float:
    return 1.0 if reference and reference in prediction else 0.0
