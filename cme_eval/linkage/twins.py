"""Twin evidence: whether a twin is there to see beside a candidate pair (issue 23).

A careful analyst calls two records of one surname and birth under plainly different forenames
twins only when the other twin is there to see. These are the searches ``classify`` asks: a
sibling of that surname and birth beside either record, at home or elsewhere, whose forename
agrees with the other side's (``twin_evidence``), and a right record whose forename a second
dataset gives its child alike (``corroborated``). Each side's siblings are found once per link
(``_Kin``); surnames are compared as typed (a slip, a spelling by sound: ``_surnames_alike``).
"""

from __future__ import annotations

import jellyfish
import numpy as np
import pandas as pd

from cme_eval.inputs.standardised import (
    ADDRESS_STD,
    DOB_INT,
    FORENAME_STD,
    POSTCODE_STD,
    SURNAME_STD,
    present,
)
from cme_eval.linkage.names import are_variants
from cme_eval.linkage.rules import jaro_winkler, keystrokes

# A sibling elsewhere is a twin there to see only if its forename could be the other side's:
# Jaro-Winkler at least this (the twin guard's own level, 'JW >= 0.80'). A child of the same
# surname born the same day whose forename merely agrees less badly is no evidence.
TWIN_AGREES = 0.80
# ... and, beside a pair whose forenames are only alike, closely: the close-spelling level of
# the forename comparison (``spec.NAME_LEVELS``) or a variant the linker knows.
TWIN_CLOSE = 0.92
# ... and a sibling's surname as typed may differ a little (Phyllips, Bogd): Jaro-Winkler at
# least this is the same surname for the search (Jones and James are 0.76), as are one
# keystroke and the same sound (``_surnames_alike``).
TWIN_SURNAME_AGREES = 0.85


def twin_evidence(left: pd.DataFrame, right: pd.DataFrame, li: np.ndarray,
                  ri: np.ndarray, *, sides: tuple[str, ...] = ("right", "left"),
                  at_home: tuple[str, ...] = ("right", "left"),
                  elsewhere: tuple[str, ...] = (), close: bool = False,
                  kindred: bool = False, kinship: dict | None = None) -> np.ndarray:
    """Per candidate pair (left ``li``, right ``ri``), whether a twin is there to see: another
    record of the same surname as typed (``_surnames_alike``: a slip or a spelling by sound
    allowed) and date of birth on the same side as
    one of the pair's (the right beside ``ri``, or the left beside ``li``) that is either at
    the same home (postcode
    or address) under another forename, or anywhere under a forename that agrees better with
    the other side's than the pair's own do, and well (Jaro-Winkler, at least ``TWIN_AGREES``).
    Then the different forename may be that sibling's, not a variant.

    A home is not required: one twin's record is often at an old address when the other's is
    not (on Cardiff, requiring it, 16 pairs of twins were merged). Elsewhere, "agrees better"
    keeps an unrelated child of a common surname born the same day (two Thomases in Cardiff)
    from blocking a name variant the linker does not know, and "well" keeps one whose forename
    merely agrees less badly (Callum and Arthur against Tony) from blocking a child entered
    under a sibling's forename.

    ``sides``: the sides searched for a sibling; ``at_home``: those where one at the same home
    under another forename is evidence whatever its forename (elsewhere it must agree better).
    For a pair whose forenames are alike already, only a sibling beside the left record whose
    forename agrees better with the right one's, and lives elsewhere (``elsewhere``), is
    evidence: the right record has a better claimant, which one-to-one may not reach because
    its address is out of date (one at the same home wins by weight). A better candidate
    beside the right record is the left record's to take, by weight, and a twin at home says
    nothing of a forename that already agrees. For a left record without a forename, a twin at
    home on the right is evidence (it could be either twin's), one on the left only if its
    forename agrees better with the right record's.

    ``close``: the sibling's forename must also agree closely (Jaro-Winkler at least
    ``TWIN_CLOSE``, or a variant the linker knows), not merely better: for a pair whose own
    forenames are only alike (JW 0.80 to 0.92), where Jaro-Winkler's order among short names
    is noise (Hari is nearer Charlie, 0.857, than Harry, 0.848).

    ``kindred``: a sibling whose forename is a variant of the other side's that the linker
    knows, or one keystroke from it (``_kindred``), is evidence too, however Jaro-Winkler
    scores the two: for a pair whose forenames plainly differ, a record of that surname and
    birth under such a forename is the other record's better claimant (Leo's own NHS record,
    typed Loe at an old address, beside Charlie's; Laura's, the English form of Lowri).

    ``kinship``: a dict kept by the caller across calls on the same ``left`` and ``right``, where
    each side's siblings (``_Kin``) are found once instead of once a call."""
    out = np.zeros(len(li), dtype=bool)
    kinship = {} if kinship is None else kinship
    if not len(li):
        return out
    own = np.full(len(li), np.nan)  # the pair's own forenames' JW, where a sibling asks it
    searched = {"right": (right, left, ri, li), "left": (left, right, li, ri)}
    for side in sides:
        frame, other_side, mine, theirs = searched[side]
        # Only a record that shares its birth with another can have a twin beside it
        # (``_shares_birth``), and only such a record can be that twin. A pair already shown
        # a twin on the right is not asked again on the left.
        kin = _kin_of(kinship, side, frame)
        ask = np.flatnonzero(kin.shares[mine] & ~out)
        if not len(ask):
            continue
        me, sibling = kin.of(mine[ask])
        if not len(me):
            continue
        forename = frame[FORENAME_STD].to_numpy()
        same_home = _same_home(frame, me, sibling)
        together = same_home & (forename[sibling] != forename[me])
        home = np.zeros(len(frame), dtype=bool)
        home[me[together]] = side in at_home
        found = home[mine[ask]]
        out[ask[found]] = True
        # The rest: each pair beside each sibling of its record, asked whether the sibling's
        # forename agrees with the other side's better than the pair's own do, and well.
        rest = ask[~found]
        order = np.argsort(me, kind="stable")
        me, sibling, same_home = me[order], sibling[order], same_home[order]
        first = np.searchsorted(me, mine[rest], "left")
        counts = np.searchsorted(me, mine[rest], "right") - first
        pair = np.repeat(rest, counts)
        if not len(pair):
            continue
        offsets = np.arange(len(pair)) - np.repeat(np.cumsum(counts) - counts, counts)
        beside = np.repeat(first, counts) + offsets
        kin = sibling[beside]
        todo = np.unique(pair[np.isnan(own[pair])])
        own[todo] = jaro_winkler(left[FORENAME_STD].to_numpy()[li[todo]],
                                 right[FORENAME_STD].to_numpy()[ri[todo]])
        theirs_name = other_side[FORENAME_STD].to_numpy()[theirs[pair]]
        agree = _per_distinct_pair(jaro_winkler, theirs_name, forename[kin])
        better = (agree > own[pair]) & (agree >= TWIN_AGREES)
        if kindred:
            better |= _per_distinct_pair(_kindred, theirs_name, forename[kin]).astype(bool)
        if close:
            better &= (agree >= TWIN_CLOSE) | are_variants(theirs_name, forename[kin])
        if side in elsewhere:
            better &= ~same_home[beside]
        out[pair[better]] = True
    return out


def corroborated(right: pd.DataFrame, ri: np.ndarray, kinship: dict | None = None
                 ) -> np.ndarray:
    """Per right record ``ri``, whether another dataset on the right holds its child under
    the same forename: a record of the same surname as typed (``_surnames_alike``), birth and
    home (postcode or address), the forename equal. Two datasets that name a child alike make
    the name that child's, and a plainly different forename on the left then another child's,
    not a form of the name the linker does not know.

    Why: an independent school's return is matched against the LA's lists and the NHS
    extract, where a child in a maintained school is there twice, in PLASC and in the NHS
    extract. Pupils of independent schools were taken for their twins at maintained schools
    when nothing else of that birth was there to see (pilot-2025: Millie's return took Manon's
    pupil record, which Manon's NHS record also names; Mikey's, Michael by nickname, took his
    twin Leon's). A true partner is rarely there twice under one forename: an independent
    school's pupil is in no maintained school's census, and the NHS extract's children are
    in one of PLASC, EHE or EOTAS, seldom also on another list.

    ``kinship``: as for ``twin_evidence`` (the right side's siblings, found once)."""
    out = np.zeros(len(ri), dtype=bool)
    if not len(ri) or "dataset" not in right:
        return out
    kin = _kin_of({} if kinship is None else kinship, "right", right)
    ask = np.flatnonzero(kin.shares[ri])
    if not len(ask):
        return out
    me, other = kin.of(ri[ask])
    forename = right[FORENAME_STD].to_numpy()
    dataset = right["dataset"].to_numpy()
    same_home = _same_home(right, me, other)
    named = (forename[other] == forename[me]) & (forename[me] != "")
    confirmed = np.zeros(len(right), dtype=bool)
    confirmed[me[same_home & named & (dataset[other] != dataset[me])]] = True
    out[ask] = confirmed[ri[ask]]
    return out


def _same_home(frame: pd.DataFrame, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair of positions of ``frame``, whether the two records are at one home: the same
    postcode or the same address, present."""
    postcode = frame[POSTCODE_STD].to_numpy()
    address = frame[ADDRESS_STD].to_numpy()
    return (((postcode[a] == postcode[b]) & (postcode[a] != ""))
            | ((address[a] == address[b]) & (address[a] != "")))


def _kin_of(kinship: dict, side: str, frame: pd.DataFrame) -> _Kin:
    """``kinship``'s ``_Kin`` of one side, made on first use (not once a call, as
    ``setdefault`` would make it)."""
    if side not in kinship:
        kinship[side] = _Kin(frame)
    return kinship[side]


class _Kin:
    """One side's records that share their birth (``_shares_birth``, ``shares``) and the
    siblings of those asked about so far (``_siblings``): each record's are found once however
    many questions of ``twin_evidence`` ask of it, and only for the records asked (an
    independent school's few pupils against 200,000 held records)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.shares = _shares_birth(frame)
        self.asked = np.zeros(len(frame), dtype=bool)
        self.me: list[np.ndarray] = []
        self.sibling: list[np.ndarray] = []

    def of(self, records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(record, sibling) positions of ``records`` (each sharing its birth)."""
        new = np.unique(records[~self.asked[records]])
        if len(new):
            me, sibling = _siblings(self.frame, new, np.flatnonzero(self.shares))
            self.me.append(me)
            self.sibling.append(sibling)
            self.asked[new] = True
        if not self.me:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        wanted = np.zeros(len(self.frame), dtype=bool)
        wanted[records] = True
        me, sibling = np.concatenate(self.me), np.concatenate(self.sibling)
        return me[wanted[me]], sibling[wanted[me]]


def _siblings(frame: pd.DataFrame, records: np.ndarray,
              kin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(record, sibling) positions: each of ``records`` beside each other record of ``kin``
    with its date of birth whose surname is the same as typed (``_surnames_alike``)."""
    surname, dob = frame[SURNAME_STD].to_numpy(), frame[DOB_INT].to_numpy()
    near = pd.DataFrame({"me": records, "d": dob[records]}).merge(
        pd.DataFrame({"sibling": kin, "d": dob[kin]}), on="d")
    me, sibling = near["me"].to_numpy(), near["sibling"].to_numpy()
    keep = me != sibling
    me, sibling = me[keep], sibling[keep]
    alike = _per_distinct_pair(_surnames_alike, surname[me], surname[sibling]).astype(bool)
    return me[alike], sibling[alike]


def _surnames_alike(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two surnames as typed may be one family's: Jaro-Winkler at least
    ``TWIN_SURNAME_AGREES`` (Phyllips), one keystroke apart (aDy for Day: the first two letters
    swapped), or the same sound (metaphone: Phoster for Foster, Daie for Day), where a sound of
    one consonant also needs the first letter (Day and Doe sound alike)."""
    alike = jaro_winkler(a, b) >= TWIN_SURNAME_AGREES
    alike |= keystrokes(a, b) <= 1
    # sounds and initials once per distinct surname, then compared as codes
    codes, names = pd.factorize(np.concatenate([a, b]), use_na_sentinel=False)
    sounds = [jellyfish.metaphone(x) if x else "" for x in names]
    sound, heard = pd.factorize(np.asarray(sounds, dtype=object), use_na_sentinel=False)
    initial, _ = pd.factorize(np.asarray([x[:1] for x in names], dtype=object),
                              use_na_sentinel=False)
    audible = np.asarray([len(x) > 0 for x in heard], dtype=bool)[sound]
    long = np.asarray([len(x) > 1 for x in heard], dtype=bool)[sound]
    code_a, code_b = codes[:len(a)], codes[len(a):]
    same = (sound[code_a] == sound[code_b]) & audible[code_a]
    return alike | (same & (long[code_a] | (initial[code_a] == initial[code_b])))


def _kindred(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two forenames as typed are one child's by what the linker knows: a known
    variant (Laura and Lowri) or one keystroke apart (Loe for Leo), both present."""
    present_ = (a != "") & (b != "")
    return present_ & (are_variants(a, b) | (keystrokes(a, b) <= 1))


def _per_distinct_pair(score, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``score`` of aligned values, computed once per distinct pair (siblings repeat: every
    pair of a record asks of the same sibling)."""
    if not len(a):
        return np.zeros(0)
    codes_a, values_a = pd.factorize(a, use_na_sentinel=False)
    codes_b, values_b = pd.factorize(b, use_na_sentinel=False)
    which, distinct = pd.factorize(codes_a.astype(np.int64) * (len(values_b) + 1) + codes_b)
    width = len(values_b) + 1
    scores = score(np.asarray(values_a, dtype=object)[distinct // width],
                   np.asarray(values_b, dtype=object)[distinct % width])
    return scores[which]


def _shares_birth(frame: pd.DataFrame) -> np.ndarray:
    """Per record with a surname and a date of birth, whether another record of ``frame`` has
    its date of birth: the only records ``twin_evidence`` can find a twin beside (surnames
    are compared after, as typed: ``_surnames_alike``)."""
    known = np.asarray(present(frame[SURNAME_STD], SURNAME_STD)
                       & present(frame[DOB_INT], DOB_INT), dtype=bool)
    births = pd.Series(frame[DOB_INT].to_numpy())[known]
    out = np.zeros(len(frame), dtype=bool)
    out[np.flatnonzero(known)] = births.duplicated(keep=False).to_numpy()
    return out
