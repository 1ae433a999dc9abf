"""The store's file name covers exo's version, the layout and the schema,
so two versions (or schemas) sharing a cache folder keep a store each."""

from __future__ import annotations

from exocli import model, store, version
from exocli.catalog import bundled_data_dir


def test_the_store_name_changes_with_version_layout_and_schema(monkeypatch):
    folders = [bundled_data_dir()]
    name, state = store.fingerprint(folders)
    assert store.fingerprint(folders)[0] == name  # stable
    monkeypatch.setattr(version, "__version__", version.__version__ + ".post1")
    assert store.fingerprint(folders)[0] != name
    monkeypatch.undo()
    monkeypatch.setattr(store, "LAYOUT", store.LAYOUT + 1)
    assert store.fingerprint(folders)[0] != name
    monkeypatch.undo()
    monkeypatch.setattr(model, "signature", lambda: "00000000")
    other, other_state = store.fingerprint(folders)
    assert other != name and other_state != state
