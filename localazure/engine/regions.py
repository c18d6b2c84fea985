"""The public Azure regions: what a tracked resource's `location` may be.

Names and display names as `GET /subscriptions/{id}/locations` answers them (Microsoft Learn, "Azure
geographies" and the region list of the Azure CLI's `az account list-locations`).  Every tracked type of
localazure is offered in all of them: the endpoint refuses a region that does not exist, as Azure does with
LocationNotAvailableForResourceType, and leaves per-type availability (which real Azure narrows further) alone.
"""
from __future__ import annotations

REGIONS = {
    "eastus": "East US", "eastus2": "East US 2", "westus": "West US", "westus2": "West US 2",
    "westus3": "West US 3", "centralus": "Central US", "northcentralus": "North Central US",
    "southcentralus": "South Central US", "westcentralus": "West Central US", "canadacentral": "Canada Central",
    "canadaeast": "Canada East", "brazilsouth": "Brazil South", "mexicocentral": "Mexico Central",
    "northeurope": "North Europe", "westeurope": "West Europe", "uksouth": "UK South", "ukwest": "UK West",
    "francecentral": "France Central", "germanywestcentral": "Germany West Central", "norwayeast": "Norway East",
    "swedencentral": "Sweden Central", "switzerlandnorth": "Switzerland North", "polandcentral": "Poland Central",
    "italynorth": "Italy North", "spaincentral": "Spain Central", "australiaeast": "Australia East",
    "australiasoutheast": "Australia Southeast", "japaneast": "Japan East", "japanwest": "Japan West",
    "koreacentral": "Korea Central", "southeastasia": "Southeast Asia", "eastasia": "East Asia",
    "centralindia": "Central India", "southindia": "South India", "uaenorth": "UAE North",
    "southafricanorth": "South Africa North", "qatarcentral": "Qatar Central", "israelcentral": "Israel Central",
    "newzealandnorth": "New Zealand North",
}


def normal(location: str | None) -> str:
    """"Sweden Central" and "swedencentral" name the same region."""
    return (location or "").replace(" ", "").lower()


def known(location: str | None) -> bool:
    return normal(location) in REGIONS


def display_names() -> list[str]:
    return sorted(REGIONS.values())
