"""UK identifiers a child may carry: NHS number, UPN and UPRN, generated and validated.

Synthetic NHS numbers use the 999 range that NHS Digital reserves for test data, so they can
never be a real child's; UPNs use the Welsh LA codes (660-681), which python-stdnum's UPN check
rejects, hence our own check-letter code.
"""

from __future__ import annotations

import numpy as np

NHS_WEIGHTS = np.arange(10, 1, -1)  # 10..2 over the first nine digits
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O, S
TEST_NHS_PREFIX = 999


def nhs_check_digit(first_nine: str) -> int | None:
    """Modulus-11 check digit of an NHS number's first nine digits; None if 10 (invalid)."""
    total = sum(int(d) * w for d, w in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else int(check)  # a numpy integer from the weights: as int


def is_valid_nhs_number(value: str) -> bool:
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    if len(digits) != 10:
        return False
    check = nhs_check_digit(digits[:9])
    return check is not None and check == int(digits[9])


def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid NHS numbers in the reserved test range 999 000 0000 - 999 999 9999."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        for body in rng.integers(0, 1_000_000, size=(n - len(out)) * 2):
            nine = f"{TEST_NHS_PREFIX}{body:06d}"
            check = nhs_check_digit(nine)
            if check is None or nine in seen:
                continue
            seen.add(nine)
            out.append(f"{nine}{check}")
            if len(out) == n:
                break
    return np.asarray(out, dtype=object)


def upn_check_letter(body: str) -> str:
    """Check letter of a UPN's last 12 characters (digits): sum of value x weight 2..13, mod 23."""
    total = sum(int(ch) * w for ch, w in zip(body, range(2, 14), strict=True))
    return UPN_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    value = str(value).strip().upper()
    if len(value) != 13 or not value[1:].isdigit():
        return False
    return value[0] == upn_check_letter(value[1:])


def upns(rng: np.random.Generator, la_code: str, n: int, year: int) -> np.ndarray:
    """Distinct UPNs for one LA: check letter + LA(3) + establishment(4) + year(2) + serial(3)."""
    establishment = rng.integers(2000, 4000, n)
    serial = rng.permutation(max(n, 1000))[:n] % 1000
    bodies = [f"{la_code}{e:04d}{year % 100:02d}{s:03d}" for e, s in zip(establishment, serial,
                                                                           strict=True)]
    # make bodies unique by bumping the establishment of repeats (tiny, deterministic)
    seen: set[str] = set()
    for i, body in enumerate(bodies):
        while body in seen:
            body = f"{body[:3]}{(int(body[3:7]) + 1) % 10000:04d}{body[7:]}"
        seen.add(body)
        bodies[i] = body
    return np.asarray([upn_check_letter(b) + b for b in bodies], dtype=object)


def uprns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct UPRN-like integers (up to 12 digits, no check digit) in a synthetic block."""
    return (10_090_000_000 + rng.choice(9_000_000_000, size=n, replace=False)).astype("int64")
