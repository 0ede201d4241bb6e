"""Message ids and the check digit of Kazakhstan IINs and BINs."""
import re

_TWELVE_DIGITS = re.compile(r"(?<!\d)(\d{6})(\d{6})(?!\d)")

MESSAGE_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{32,45}")

_FIRST_WEIGHTS = range(1, 12)
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def is_valid_message_id(value):
    """Return whether value is 32 to 45 Latin letters, digits or hyphens."""
    return value is not None and MESSAGE_ID_PATTERN.fullmatch(value) is not None


def has_valid_check_digit(number):
    """Return whether a 12-digit IIN or BIN ends with its check digit.

    The check digit is the sum of the first 11 digits weighted 1..11, modulo
    11.  When that is 10, the weights 3..11, 1, 2 are tried, and a second 10
    means that no number with these 11 digits is ever issued.
    """
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    digits = [int(d) for d in number]
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits[:11], weights)) % 11
        if remainder != 10:
            return remainder == digits[11]
    return False


def mask_identifiers(text):
    """Return text with the first 6 digits of every 12-digit number masked,
    so that no full IIN reaches a log line."""
    return _TWELVE_DIGITS.sub(r"******\2", text)
