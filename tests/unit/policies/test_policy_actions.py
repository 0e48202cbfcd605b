"""The committed action table matches ODRL22.ttl, and the hierarchy behaves as ODRL says."""

from __future__ import annotations

from pathlib import Path

import policies._action_table as table
from policies.actions import derive_tables, included_in, render_tables
from policies.terms import ODRL

NS = ODRL


def test_committed_table_is_derived_from_the_vocabulary() -> None:
    included, equivalent = derive_tables()
    assert included == table.INCLUDED_IN
    assert equivalent == table.EQUIVALENT
    source = Path(table.__file__).read_text("utf-8")
    assert source == render_tables(included, equivalent)


def test_vocabulary_is_shipped_with_its_licence() -> None:
    vocab = Path(table.__file__).parent / "vocab"
    assert (vocab / "ODRL22.ttl").stat().st_size > 50_000
    assert "W3C Software and Document License" in (vocab / "LICENSE-w3c.md").read_text()


def test_use_covers_print_reproduce_read_and_equivalents() -> None:
    for action in ("print", "reproduce", "read", "display", "extract", "write", "copy"):
        assert included_in(NS + action, NS + "use"), action
    assert included_in(NS + "display", NS + "play")       # transitive: display ⊑ play ⊑ use
    assert included_in(NS + "extract", NS + "reproduce")
    assert included_in(NS + "write", NS + "modify") and included_in(NS + "modify", NS + "write")


def test_transfer_is_not_use() -> None:
    assert included_in(NS + "sell", NS + "transfer") and included_in(NS + "give", NS + "transfer")
    assert not included_in(NS + "sell", NS + "use")
    assert not included_in(NS + "use", NS + "print")     # the broader is not in the narrower
    assert not included_in("https://example.org/x", NS + "use")
