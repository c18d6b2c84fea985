"""azure.azcollection's option names are accepted wherever our modules take the same thing: every module option
resource_group, service and account carries azcollection's name for it as an alias (azure_rm_* modules call them
resource_group_name... in their SDK calls and, for APIM and Cognitive Services, take service_name/account_name)."""
import importlib
from pathlib import Path

import pytest

MODULES = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py")
                 if path.stem != "__init__")
ALIASES = {"resource_group": "resource_group_name", "service": "service_name", "account": "account_name"}


def spec_of(name):
    module = importlib.import_module("ansible_collections.aigateway.foundry.plugins.modules." + name)
    return getattr(module, "ARGUMENT_SPEC", None) or {}


@pytest.mark.parametrize("name", MODULES)
def test_placement_options_take_the_azcollection_names(name):
    spec = spec_of(name)
    for option, alias in ALIASES.items():
        if option in spec:
            assert alias in (spec[option].get("aliases") or []), "%s: %s lacks alias %s" % (name, option, alias)


def test_the_info_modules_take_azcollection_ids():
    assert "api_id" in spec_of("apim_api_info")["name"]["aliases"]
    assert "product_id" in spec_of("apim_product_info")["name"]["aliases"]
    assert "resource_group_name" in spec_of("resource_group_info")["name"]["aliases"]


def test_apim_api_takes_azure_rm_apimanagement_names():
    spec = spec_of("apim_api")
    assert spec["name"]["aliases"] == ["api_id"]
    assert spec["spec"]["aliases"] == ["value"] and spec["spec_format"]["aliases"] == ["format"]
