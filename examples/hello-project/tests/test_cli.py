from datetime import datetime

from hello.cli import days_until, main


def test_days_until_counts_calendar_days():
    assert days_until("2030-01-11", now=datetime(2030, 1, 1, 15, 30)) == 10


def test_main_prints_a_table(capsys):
    assert main(["2030-01-01"]) == 0
    out = capsys.readouterr().out
    assert "days from today" in out and "2030-01-01" in out
