#!/usr/bin/env python3
"""Generate valid Kazakhstan IINs and BINs for test data and the demo.

usage: kzid.py iin BIRTH_DATE SEX SERIAL   (BIRTH_DATE as YYYY-MM-DD, SEX m|f)
       kzid.py bin YYMM SERIAL

SERIAL is a small integer that makes the number unique.  When no check digit
is valid for it (such numbers are never issued), the next serial is used.
"""
import sys

FIRST = range(1, 12)
SECOND = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]


def check_digit(eleven):
    """Return the check digit of 11 digits, or None if none is valid."""
    for weights in (FIRST, SECOND):
        total = sum(int(d) * w for d, w in zip(eleven, weights)) % 11
        if total != 10:
            return total
    return None


def complete(prefix, serial):
    """Append serial digits to prefix until the check digit is valid."""
    width = 11 - len(prefix)
    while True:
        eleven = prefix + str(serial).zfill(width)
        digit = check_digit(eleven)
        if digit is not None:
            return eleven + str(digit)
        serial += 1


def iin(birth_date, sex, serial):
    year, month, day = birth_date.split("-")
    century = {"18": 1, "19": 3, "20": 5}[year[:2]] + (1 if sex == "f" else 0)
    return complete(year[2:] + month + day + str(century), serial)


def bin_(yymm, serial):
    return complete(yymm + "40", serial)


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "iin":
        print(iin(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    elif kind == "bin":
        print(bin_(sys.argv[2], int(sys.argv[3])))
    else:
        sys.exit("usage: kzid.py iin BIRTH_DATE m|f SERIAL | bin YYMM SERIAL")
