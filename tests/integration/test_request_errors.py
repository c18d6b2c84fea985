"""A failed request reads as what it was: the method and URL (its query left out), and what came back (status,
content type, the start of a body that is not JSON), or a poll refused for authentication said as such.  The
answers come from the endpoint's fault injection (localazure/engine/faults.py: `body`, `statuses: [401]`)."""
import contextlib
import uuid

import requests

MONITOR = "operation(Statuses|Results)/"


@contextlib.contextmanager
def faults(endpoint, **settings):
    url = endpoint["arm_endpoint"] + "/localazure/faults"
    answer = requests.post(url, json=dict(dict(rate=1.0, count=1), **settings), verify=endpoint["ca_bundle"],
                           timeout=30)
    answer.raise_for_status()
    try:
        yield
    finally:
        requests.delete(url, verify=endpoint["ca_bundle"], timeout=30).raise_for_status()


def read_url(endpoint, name):
    return "GET %s/subscriptions/%s/resourcegroups/%s" % (endpoint["arm_endpoint"], endpoint["subscription_id"], name)


def test_an_html_200_names_the_request_and_what_came_back(run_module, endpoint):
    name = "rg-html-%s" % uuid.uuid4().hex[:6]
    with faults(endpoint, body="html", only_methods=["GET"], only_path_regex=name):
        failed = run_module("resource_group", {"name": name, "location": "swedencentral"}, expect_failure=True)
    message = failed["msg"]
    assert read_url(endpoint, name) in message.replace("resourceGroups", "resourcegroups"), message
    assert "HTTP 200" in message and "text/html" in message and "<!DOCTYPE html><html><head><title>Proxy" in message
    assert "api-version" not in message and "Expecting value" not in message


def test_an_empty_200_to_a_read_names_the_request_instead_of_reading_absent(run_module, endpoint, request_log):
    name = "rg-empty-%s" % uuid.uuid4().hex[:6]
    mark = request_log.mark()
    with faults(endpoint, body="empty", only_methods=["GET"], only_path_regex=name):
        failed = run_module("resource_group", {"name": name, "location": "swedencentral"}, expect_failure=True)
    message = failed["msg"]
    assert read_url(endpoint, name) in message.replace("resourceGroups", "resourcegroups"), message
    assert "HTTP 200" in message and "empty body" in message
    assert request_log.writes(mark) == [], "an unreadable read must not be taken for an absent resource"


def test_a_poll_refused_401_is_said_as_such(run_module, endpoint):
    name = "rg-poll-%s" % uuid.uuid4().hex[:6]
    run_module("resource_group", {"name": name, "location": "swedencentral"})
    with faults(endpoint, statuses=[401], only_methods=["GET"], only_path_regex=MONITOR):
        failed = run_module("resource_group", {"name": name, "state": "absent"}, expect_failure=True)
    message = failed["msg"]
    assert "ended Failed" not in message, message
    assert "refused" in message and "HTTP 401" in message and "authentication" in message
    assert "GET %s/subscriptions/%s/" % (endpoint["arm_endpoint"], endpoint["subscription_id"]) in message
    assert "/operationResults/" in message or "/operationStatuses/" in message
    run_module("resource_group", {"name": name, "state": "absent"})
