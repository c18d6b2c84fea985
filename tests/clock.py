"""Where every test endpoint's clock starts (LOCALAZURE_CLOCK_START): a fixed date, so no test depends on the
machine's date (a model's retirement date is judged on the endpoint's clock). It lies after every retirement the
local catalogue marks as past (the latest 2026-10-21) and before the next one (2027-02-09; gpt-4o-mini 2024-07-18,
the tests' default, 2027-04-14). `python tests/clock.py` prints it for the shell stages (tests/run-all,
tests/collection/run, tests/ee/run-site)."""
TEST_CLOCK_START = "2026-12-01T00:00:00Z"

if __name__ == "__main__":
    print(TEST_CLOCK_START)
