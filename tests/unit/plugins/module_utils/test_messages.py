"""Messages that point at the mistake (issue 25 item 6): the type expected and the value received, "did you mean"
for regions and SKUs, one paragraph for missing credentials."""
from types import SimpleNamespace

import pytest

from ansible_collections.aigateway.foundry.plugins.filter.preflight import aigw_problems
from ansible_collections.aigateway.foundry.plugins.module_utils import messages, validation
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.modules import resource_group


def test_a_string_where_the_models_list_belongs_names_the_type_and_the_value():
    problems = aigw_problems({"aigw_location": "swedencentral", "aigw_models": "gpt-4o-mini"})
    assert problems == ["aigw_models must be a list of model deployments (each with name and model_name), "
                        "got a string: 'gpt-4o-mini'"]
    assert aigw_problems({"aigw_location": "swedencentral", "aigw_models": []}) == [
        "aigw_models is empty: the gateway needs at least one model deployment"]


def test_a_dict_where_the_hosts_list_belongs_names_the_type_and_the_value():
    problems = aigw_problems({"aigw_location": "swedencentral", "aigw_model_hosts": {"name": "h"}})
    assert problems == ["aigw_model_hosts must be a list of model hosts (each with a name), got a dict: "
                        "{'name': 'h'}"]


def test_an_apim_sku_typo_gets_did_you_mean():
    problems = aigw_problems({"aigw_location": "swedencentral", "aigw_apim_sku": "Standardv3"})
    assert len(problems) == 1 and problems[0].startswith("aigw_apim_sku is 'Standardv3' (did you mean 'Standardv2'?)")


def test_a_deployment_sku_typo_gets_did_you_mean():
    assert validation.choice_problem("sku_name", "GlobalStandrd", validation.DEPLOYMENT_SKUS).startswith(
        "sku_name 'GlobalStandrd' is not one Azure offers (did you mean 'GlobalStandard'?): ")


def test_a_region_typo_gets_did_you_mean_from_the_regions_offered():
    problem = validation.location_problem("swedencentrall", "Microsoft.ApiManagement/service",
                                          ["Sweden Central", "East US", "West Europe"])
    assert problem.startswith("location 'swedencentrall' is not offered for Microsoft.ApiManagement/service in this "
                              "subscription (did you mean 'swedencentral'?); offered: ")


def test_a_region_typo_on_an_existing_resource_group_gets_did_you_mean():
    problem = resource_group.validate({"name": "rg", "state": "present", "location": "swedencentrall"},
                                      {"location": "swedencentral"})
    assert problem == ("resource group rg is in swedencentral; a resource group's location cannot change to "
                       "swedencentrall (did you mean 'swedencentral'?)")


def test_nothing_close_suggests_nothing():
    assert messages.did_you_mean("brazilsouth", ["swedencentral", "eastus"]) == ""


class ChainError(Exception):
    pass


class Failed(Exception):
    pass


def fail_json(failed):
    def fail(msg, **kwargs):
        failed.update(msg=msg, **kwargs)
        raise Failed(msg)   # fail_json exits
    return fail


def test_missing_credentials_give_one_paragraph_naming_the_variables_and_sources():
    failed = {}
    chain = ("DefaultAzureCredential failed to retrieve a token from the included credentials.\nAttempted "
             "credentials:\n\tEnvironmentCredential: EnvironmentCredential authentication unavailable.\n\t"
             "ManagedIdentityCredential: ...\n\tAzureCliCredential: Azure CLI not found on path")
    ChainError.__name__ = "ClientAuthenticationError"
    module = SimpleNamespace(settings={"auth_source": "auto", "arm_endpoint": "https://management.azure.com"},
                             fail=fail_json(failed))
    with pytest.raises(Failed):
        AzureModule.fail_from(module, "read resource group rg", ChainError(chain))
    message = failed["msg"]
    assert message.startswith("read resource group rg failed: no Azure credentials were found (auth_source=auto). ")
    for named in ("AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT", "AZURE_SUBSCRIPTION_ID", "az login",
                  "auth_source=cli", "auth_source=msi", "-vvv"):
        assert named in message
    assert "\n" not in message and "EnvironmentCredential" not in message
