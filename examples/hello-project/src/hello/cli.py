"""`hello`: print how many days remain until the dates given (ISO or free-form)."""
import sys
from datetime import datetime

from dateutil import parser
from tabulate import tabulate


def days_until(text, now=None):
    now = now or datetime.now()
    target = parser.parse(text, default=now.replace(hour=0, minute=0, second=0, microsecond=0))
    return (target.date() - now.date()).days


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    dates = args or ["2030-01-01"]
    rows = [(d, days_until(d)) for d in dates]
    print(tabulate(rows, headers=["date", "days from today"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
