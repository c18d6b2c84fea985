"""Every endpoint the suites start (the fixtures, and the playbooks they run, inherit the environment) starts its
clock at TEST_CLOCK_START; a value already set is kept, so a run can try another date on purpose."""
import os

from tests.clock import TEST_CLOCK_START

os.environ.setdefault("LOCALAZURE_CLOCK_START", TEST_CLOCK_START)
