"""cme_eval.linkage.comparisons: comparison levels on hand-made pairs.

Jaro-Winkler values quoted in comments were worked out by hand (prefix scale 0.1, up to four
characters), so the bands are checked against independent numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from cme_eval.linkage.comparisons import MISSING, levels_for_values, levels_of
from cme_eval.linkage.rules import jaro_winkler
from cme_eval.linkage.spec import ADDRESS_UPRN_LEVELS, DEFAULT_COMPARISONS, Comparison, default_spec

BY_NAME = {c.name: c for c in DEFAULT_COMPARISONS}


def name_levels(a, b):
    return levels_for_values(BY_NAME["forename"], a, b)


def surname_levels(a, b):
    return levels_for_values(BY_NAME["surname"], a, b)


def dob_levels(a, b):
    return levels_for_values(BY_NAME["dob"], ["" if v is None else v for v in a],
                             ["" if v is None else v for v in b])


def _arrays(**columns):
    return {k: np.asarray(v, dtype=object) for k, v in columns.items()}


def postcode_levels(full_a, full_b, sect_a, sect_b, dist_a, dist_b):
    return levels_of(BY_NAME["postcode"],
                     _arrays(postcode_std=full_a, postcode_sector=sect_a, postcode_district=dist_a),
                     _arrays(postcode_std=full_b, postcode_sector=sect_b, postcode_district=dist_b))


def _street(addresses):
    return [" ".join(a.split()[1:]) if a[:1].isdigit() else a for a in addresses]


def address_levels(addr_a, addr_b, num_a, num_b):
    return levels_of(BY_NAME["address"],
                     _arrays(address_std=addr_a, house_number=num_a, street_std=_street(addr_a)),
                     _arrays(address_std=addr_b, house_number=num_b, street_std=_street(addr_b)))


def address_uprn_levels(addr_a, addr_b, num_a, num_b, uprn_a, uprn_b):
    comparison = Comparison("address", ("address_std",), ADDRESS_UPRN_LEVELS)
    return levels_of(comparison, _arrays(address_std=addr_a, house_number=num_a, uprn_std=uprn_a,
                                         street_std=_street(addr_a)),
                     _arrays(address_std=addr_b, house_number=num_b, uprn_std=uprn_b,
                             street_std=_street(addr_b)))


def test_missing_is_minus_one():
    assert MISSING == -1


def test_jaro_winkler_by_hand():
    # jones/jomes: m=4, t=0 -> Jaro (4/5+4/5+1)/3 = 0.8667; prefix 2 -> +0.2*0.1333 = 0.8933
    # dafydd/david: m=3 (d,a,d), t=0 -> (3/6+3/5+1)/3 = 0.7; prefix 2 -> 0.76
    # evans/davies: m=3, one transposition -> (3/5+3/6+2/3)/3 = 0.5889; no prefix
    # abc/xyz: nothing in common -> 0
    jw = jaro_winkler(["jones", "dafydd", "evans", "abc", "same"],
                      ["jomes", "david", "davies", "xyz", "same"])
    assert_allclose(jw, [0.89333, 0.76, 0.58889, 0.0, 1.0], atol=1e-4)


def test_jaro_winkler_of_nothing():
    assert jaro_winkler([], []).shape == (0,)


def test_name_levels_with_variants_and_missing_values():
    a = ["sian", "dafydd", "jon", "jones", "catrin", "", "tom", ""]
    b = ["sian", "david", "john", "jomes", "gareth", "sian", "", ""]
    # exact; known Welsh/English variant; jon/john JW 0.9333 (close); jones/jomes 0.8933
    # (similar); catrin/gareth different; missing on either side -> -1
    assert_array_equal(name_levels(a, b), [0, 1, 1, 2, 3, -1, -1, -1])


def test_dafydd_david_is_a_variant_and_not_a_close_spelling():
    # JW 0.76 < 0.80: only the linker's name knowledge makes the pair a variant
    assert jaro_winkler(["dafydd"], ["david"])[0] < 0.80
    assert_array_equal(name_levels(["dafydd", "william", "william"], ["david", "bill", "gareth"]),
                       [1, 1, 3])


def test_surname_levels_hyphenated_parts_and_missing():
    # williams/wiliams: m=7, t=0 -> (7/8+1+1)/3 = 0.9583; prefix 3 -> 0.9708 (close)
    a = ["jones", "lloyd jones", "williams", "jones", "evans", "", "hughes"]
    b = ["jones", "jones", "wiliams", "jomes", "davies", "jones", ""]
    assert_array_equal(surname_levels(a, b), [0, 1, 1, 2, 3, -1, -1])


def test_dob_levels():
    a = ["2011-08-03", "2011-08-03", "2011-08-03", "2011-08-03", "2011-08-03", "2011-08-08",
         "2011-08-03", "", None]
    b = ["2011-08-03", "2011-03-08", "2011-08-04", "2010-08-03", "2012-09-03", "2011-08-08",
         "2011-12-25", "2011-08-03", "2011-08-03"]
    # exact; day/month swapped; one digit (day); one digit (year); two digits; same day and
    # month is exact not swapped; different; missing; missing
    assert_array_equal(dob_levels(a, b), [0, 1, 2, 2, 3, 0, 3, -1, -1])


def test_dob_swap_needs_the_same_year():
    assert_array_equal(dob_levels(["2011-08-03"], ["2012-03-08"]), [3])


def test_postcode_levels():
    full_a = ["CF10 1AA", "CF10 1AA", "CF10 1AA", "CF10 1AA", "", "XYZ", "XYZ"]
    full_b = ["CF10 1AA", "CF10 1BB", "CF10 2AA", "LL58 3DB", "CF10 1AA", "XYZ", "ABC"]
    sect_a = ["CF10 1", "CF10 1", "CF10 1", "CF10 1", "", "", ""]
    sect_b = ["CF10 1", "CF10 1", "CF10 2", "LL58 3", "CF10 1", "", ""]
    dist_a = ["CF10", "CF10", "CF10", "CF10", "", "", ""]
    dist_b = ["CF10", "CF10", "CF10", "LL58", "CF10", "", ""]
    # exact; same sector; same district; different; missing; an invalid code equal on both
    # sides is exact; two different invalid codes never agree on an empty sector/district
    assert_array_equal(postcode_levels(full_a, full_b, sect_a, sect_b, dist_a, dist_b),
                       [0, 1, 2, 3, -1, 0, 3])


def test_address_levels():
    addr_a = ["high street cardiff", "oakway", "oakway", "oakway", "", "oakway"]
    addr_b = ["high street cardiff", "hillcrest", "hillcrest", "hillcrest", "oakway", ""]
    num_a = ["12", "7", "7", "", "7", "7"]
    num_b = ["14", "7", "8", "", "7", "7"]
    # identical text (JW 1) is close whatever the number; letter-disjoint text (JW 0) with the
    # same house number; different number; no number on either side is not 'same'; missing
    assert_array_equal(address_levels(addr_a, addr_b, num_a, num_b), [0, 1, 2, 2, -1, -1])


def test_a_shared_uprn_is_the_best_address_level_and_otherwise_the_text_decides():
    addr_a = ["oakway", "oakway", "oakway", "", "", "oakway"]
    addr_b = ["hillcrest", "oakway", "oakway", "oakway", "", "oakway"]
    num = ["7"] * 6
    uprn_a = ["100", "100", "", "100", "100", "100"]
    uprn_b = ["100", "200", "200", "100", "", ""]
    # same UPRN whatever the text (even none); different or one-sided UPRN: text level + 1;
    # no text and no shared UPRN is missing
    assert_array_equal(address_uprn_levels(addr_a, addr_b, num, num, uprn_a, uprn_b),
                       [0, 1, 1, 0, -1, 1])


def test_the_uprn_replaces_no_comparison_but_joins_the_address_one():
    spec = default_spec(identifiers=("uprn", "nhs_number"))
    by_name = {c.name: c for c in spec.comparisons}
    assert "uprn" not in by_name
    assert by_name["address"].labels()[0] == "same UPRN"
    assert by_name["nhs_number"].labels() == ["exact", "different"]
    assert ("uprn_std",) in spec.blocking
    address = {c.name: c for c in spec.comparisons}["address"]
    # never a penalty for a different UPRN beyond the text's own
    plain = {c.name: c for c in default_spec().comparisons}["address"]
    assert address.weights()[1:] == pytest.approx(plain.weights())


def test_transposed_forename_and_surname_reach_the_variant_level_on_both():
    left = {"forename_std": np.array(["tiana", "tiana", ""], dtype=object),
            "surname_std": np.array(["luchetti", "luchetti", "luchetti"], dtype=object)}
    right = {"forename_std": np.array(["luchetti", "luchetti", "luchetti"], dtype=object),
             "surname_std": np.array(["tiana", "smith", "tiana"], dtype=object)}
    # swapped; only one name crossed; a missing forename is never a swap
    assert_array_equal(levels_of(BY_NAME["forename"], left, right), [1, 3, -1])
    assert_array_equal(levels_of(BY_NAME["surname"], left, right), [1, 3, 3])


def test_an_address_without_its_number_is_still_the_same_street():
    # 'madigan street' against '33 madigan street': JW of the full text is below 0.90, the
    # street without its number is the same
    assert_array_equal(address_levels(["madigan street emerald", "oakway"],
                                      ["33 madigan street emerald", "33 hillcrest"],
                                      ["", ""], ["33", "33"]), [0, 2])


def test_forename_variants_only_apply_to_the_forename():
    # a surname pair that happens to be a forename variant pair gets no variant credit
    assert_array_equal(surname_levels(["dafydd"], ["david"]), [3])


def test_labels_are_made_from_the_rules_with_their_thresholds():
    assert BY_NAME["forename"].labels() == [
        "exact", "known variant or JW >= 0.92 or swapped with surname", "JW >= 0.80",
        "different"]
    assert BY_NAME["postcode"].labels() == ["exact", "same sector", "same district", "different"]
    assert BY_NAME["dob"].labels()[1:3] == ["day and month swapped", "one digit different"]
