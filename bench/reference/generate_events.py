#!/usr/bin/env python3
"""Generate a month of turnstile punches for the benchmark.

usage: generate_events.py [--seed N] [--start YYYY-MM-DD] EMPLOYEES DAYS OUT

Writes OUT as CSV with the header event_id,card_no,device_id,direction,
occurred_at: the layout that bench/run-bench loads with COPY and that
otan_enbek.ingest_file reads as format csv.  occurred_at is local time at
UTC+05:00, written with its offset (Asia/Almaty is at UTC+05:00 from
2024-03-01 on, as tzdata 2024a has it).  The same
arguments always produce the same file.

Each employee has a card, a usual gate and an arrival habit.  About 5% work
night shifts (entry near 20:00, exit near 08:00 the next morning), the rest
day shifts with a lunch break and short breaks.  Weekdays are worked with
probability 0.97, weekend days with 0.07, and some employees are away for a
block of days (leave or sickness).  The noise:

- late arrival: on about 10% of day shifts the entry comes after 09:05;
- early leave: about 6% of day shifts end before 17:30;
- missing entry (2% of days) and missing exit (3% of days);
- repeated punches: 2% of punches are read again 3-40 seconds later;
- no direction: about 3% of punches pass a door reader (devices 11 and 12)
  that reports no direction, so their direction field is empty;
- late delivery: 0.05% of punches reach the server 10 minutes to 8 hours
  after they happened (a controller that was offline).  Event ids follow
  delivery order, so for these punches event id order and time order differ.
"""
import argparse
import datetime
import random
import sys

MINUTE = 60
HOUR = 3600
DAY = 86400

IN, OUT, NO_DIRECTION = 0, 1, 2
DIRECTION_TEXT = ("in", "out", "")
TURNSTILES = 10            # devices 1-10 report in or out
DOOR_READERS = (11, 12)    # devices without a direction

# Sort key layout: delivery second, delay, employee, device, direction.
DELAY_SPAN = 1 << 16       # delays are below 8 hours = 28,800 s
EMPLOYEE_SPAN = 1 << 24
DEVICE_SPAN = 16
DIRECTION_SPAN = 4


def minutes(rng, low_hm, high_hm):
    """Return a second of the day drawn uniformly between two HH:MM times."""
    low = low_hm[0] * HOUR + low_hm[1] * MINUTE
    high = high_hm[0] * HOUR + high_hm[1] * MINUTE
    return rng.randint(low, high)


def day_shift(rng, habit):
    """Return the (second, direction) punches of one day shift."""
    if rng.random() < 0.10:
        entry = minutes(rng, (9, 5), (10, 30))
    else:
        entry = max(7 * HOUR, min(9 * HOUR, habit + rng.randint(-900, 900)))
    away = []
    if rng.random() < 0.80:
        lunch = minutes(rng, (12, 20), (13, 40))
        away.append((lunch, lunch + rng.randint(25, 55) * MINUTE))
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        leave = rng.randint(entry + 30 * MINUTE, 16 * HOUR + 30 * MINUTE)
        back = leave + rng.randint(4, 15) * MINUTE
        if all(back + 5 * MINUTE < a or leave > b + 5 * MINUTE for a, b in away):
            away.append((leave, back))
    away.sort()
    punches = [(entry, IN)]
    for leave, back in away:
        punches += [(leave, OUT), (back, IN)]
    if rng.random() < 0.06:
        exit_ = minutes(rng, (15, 0), (17, 29))
    else:
        exit_ = minutes(rng, (17, 45), (19, 15))
    punches.append((max(exit_, punches[-1][0] + 10 * MINUTE), OUT))
    return punches


def night_shift(rng):
    """Return the (second, direction) punches of a night shift, from the
    evening of the day to the morning of the next."""
    punches = [(minutes(rng, (19, 30), (20, 20)), IN)]
    if rng.random() < 0.60:
        pause = DAY + minutes(rng, (0, 0), (2, 0))
        punches += [(pause, OUT), (pause + rng.randint(20, 45) * MINUTE, IN)]
    punches.append((DAY + minutes(rng, (7, 50), (8, 40)), OUT))
    return punches


def employee_punches(rng, employee, days, start):
    """Yield sort keys of every punch of one employee over the period."""
    night = rng.random() < 0.05
    gate = rng.randint(1, 8)
    habit = minutes(rng, (8, 0), (8, 55))
    away_from = away_to = -1
    if rng.random() < 0.06:
        away_from = rng.randrange(days)
        away_to = away_from + rng.randint(3, 10)
    for d in range(days):
        weekday = (start + datetime.timedelta(d)).weekday() < 5
        if away_from <= d < away_to:
            continue
        if rng.random() >= (0.97 if weekday else 0.07):
            continue
        punches = night_shift(rng) if night else day_shift(rng, habit)
        if rng.random() < 0.02:
            punches = punches[1:]
        if rng.random() < 0.03:
            punches = punches[:-1]
        for second, direction in punches:
            at = d * DAY + second
            draw = rng.random()
            if draw < 0.03:
                device = rng.choice(DOOR_READERS)
                direction = NO_DIRECTION
            elif draw < 0.20:
                device = rng.randint(1, TURNSTILES)
            else:
                device = gate
            delay = 0
            if rng.random() < 0.0005:
                delay = rng.randint(10 * MINUTE, 8 * HOUR)
            yield pack(at + delay, delay, employee, device, direction)
            if rng.random() < 0.02:
                yield pack(at + rng.randint(3, 40), 0, employee, device,
                           direction)


def pack(delivered, delay, employee, device, direction):
    """Pack a punch into one integer that sorts in delivery order."""
    key = delivered * DELAY_SPAN + delay
    key = key * EMPLOYEE_SPAN + employee
    key = key * DEVICE_SPAN + device
    return key * DIRECTION_SPAN + direction


def unpack(key):
    """Return (occurred second, employee, device, direction) of a key."""
    key, direction = divmod(key, DIRECTION_SPAN)
    key, device = divmod(key, DEVICE_SPAN)
    key, employee = divmod(key, EMPLOYEE_SPAN)
    delivered, delay = divmod(key, DELAY_SPAN)
    return delivered - delay, employee, device, direction


def card_number(employee):
    """Return the distinct card number of an employee (ten digits up to
    employee 862,000)."""
    return f"{3100000000 + employee * 7919:010d}"


def write_csv(path, keys, start, days):
    """Write the punches, already in delivery order, as CSV."""
    dates = [(start + datetime.timedelta(d)).isoformat() for d in range(days + 2)]
    clock = [f"{s // HOUR:02d}:{s % HOUR // MINUTE:02d}:{s % MINUTE:02d}"
             for s in range(DAY)]
    with open(path, "w", encoding="ascii", newline="") as f:
        f.write("event_id,card_no,device_id,direction,occurred_at\n")
        lines = []
        for event_id, key in enumerate(keys, 1):
            at, employee, device, direction = unpack(key)
            day, second = divmod(at, DAY)
            lines.append(f"{event_id},{card_number(employee)},{device},"
                         f"{DIRECTION_TEXT[direction]},"
                         f"{dates[day]} {clock[second]}+05:00\n")
            if len(lines) == 65536:
                f.writelines(lines)
                lines.clear()
        f.writelines(lines)


def main():
    parser = argparse.ArgumentParser(
        description="Generate a month of turnstile punches as CSV.")
    parser.add_argument("employees", type=int, help="number of employees")
    parser.add_argument("days", type=int, help="number of days, from --start")
    parser.add_argument("out", help="path of the CSV file to write")
    parser.add_argument("--seed", type=int, default=1,
                        help="seed of the random generator (default 1)")
    parser.add_argument("--start", type=datetime.date.fromisoformat,
                        default=datetime.date(2024, 3, 1),
                        help="first day, YYYY-MM-DD (default 2024-03-01)")
    args = parser.parse_args()
    if not 1 <= args.employees < EMPLOYEE_SPAN:
        parser.error(f"employees must be between 1 and {EMPLOYEE_SPAN - 1}")
    if not 1 <= args.days <= 366:
        parser.error("days must be between 1 and 366")

    rng = random.Random(args.seed)
    keys = []
    for employee in range(args.employees):
        keys.extend(employee_punches(rng, employee, args.days, args.start))
    keys.sort()
    write_csv(args.out, keys, args.start, args.days)
    print(f"{args.out}: {len(keys)} events, {args.employees} employees, "
          f"{args.days} days", file=sys.stderr)


if __name__ == "__main__":
    main()
