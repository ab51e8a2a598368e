"""One LA's synthetic world as a value: made by ``synth.sources``, read by ``synth.profile``.

Its own module so that neither of those imports the other for the type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class SyntheticLA:
    """One LA's synthetic world: the people, what each source sends, and which record is whom."""

    authority: str
    people: pd.DataFrame  # residents and visitors (boarders, inbound pupils)
    sources: dict[str, pd.DataFrame]  # source -> records (independent: all returns together)
    truth_records: pd.DataFrame
    schools: pd.DataFrame = field(default_factory=pd.DataFrame)
    error_stats: pd.DataFrame = field(default_factory=pd.DataFrame)  # per error and source
