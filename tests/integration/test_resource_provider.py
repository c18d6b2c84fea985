"""resource_provider against the local endpoint: register, unchanged re-run, check mode, unregister."""


def test_register_and_unregister(run_module, request_log):
    namespace = "Microsoft.Cache"
    run_module("resource_provider", {"namespace": namespace, "state": "unregistered"})

    mark = request_log.mark()
    predicted = run_module("resource_provider", {"namespace": namespace}, check=True, diff=True)
    assert predicted["changed"] is True and predicted["registration_state"] == "Registered"
    assert predicted["diff"]["before"]["registrationState"] != "Registered"
    assert predicted["diff"]["after"] == {"registrationState": "Registered"}
    assert request_log.writes(mark) == []

    registered = run_module("resource_provider", {"namespace": namespace})
    assert registered["changed"] is True and registered["registration_state"] == "Registered"
    assert registered["id"].endswith("/providers/" + namespace)

    mark = request_log.mark()
    assert run_module("resource_provider", {"namespace": namespace})["changed"] is False
    assert request_log.writes(mark) == []

    unregistered = run_module("resource_provider", {"namespace": namespace, "state": "unregistered"})
    assert unregistered["changed"] is True
    assert unregistered["registration_state"] in ("NotRegistered", "Unregistered")
    mark = request_log.mark()
    assert run_module("resource_provider", {"namespace": namespace, "state": "unregistered"})["changed"] is False
    assert request_log.writes(mark) == []
    run_module("resource_provider", {"namespace": namespace})


def test_unknown_namespace_is_a_clear_error(run_module, request_log):
    mark = request_log.mark()
    result = run_module("resource_provider", {"namespace": "Microsoft.NoSuchThing"}, expect_failure=True)
    assert "not found" in result["msg"]
    assert request_log.writes(mark) == []
