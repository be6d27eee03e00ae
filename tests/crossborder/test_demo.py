from moli.crossborder import demo
from moli.crossborder.models import Assessment


def test_demo_is_idempotent_and_counts_the_window(session):
    assert demo.load(session) == {"assessments_added": 3}
    assert demo.load(session) == {"assessments_added": 0}
    rows = session.query(Assessment).order_by(Assessment.transfer_date).all()
    assert [r.path for r in rows] == ["exempt", "exempt", "standard_contract_or_certification"]
    # the third counts the first two (42,000 + 800 + 65,000 >= 100,000; the HR transfer counted conservatively)
    assert rows[2].report["counts"]["individuals_window"] == 107800
