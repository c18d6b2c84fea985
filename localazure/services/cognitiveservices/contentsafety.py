"""Azure AI Content Safety's text:analyze and text:shieldPrompt, deterministic, for a ContentSafety account.

The real service classifies text with models; here a text is rated by explicit markers so that tests and verify
can choose the outcome: `<category>-severity-<n>` (for example `violence-severity-6`; categories Hate, SelfHarm,
Sexual, Violence, case-insensitive, n 0..7) gives that category severity n, anything else 0.  Blocklists are the
account's `raiBlocklists` with their `raiBlocklistItems` (ARM state): an item's `pattern` matches as a
case-insensitive whole-word text, or as a regular expression when `isRegex` is true.  Shield prompt detects the
phrase "ignore previous instructions" (with "all" or "the" between, any case) as a user prompt attack.

Request and answer shapes follow the Content Safety REST API 2024-09-01 (learn.microsoft.com/rest/api/
contentsafety/text-operations/analyze-text and .../shield-prompt): `{"text", "categories", "blocklistNames",
"haltOnBlocklistHit", "outputType"}` -> `{"blocklistsMatch": [{blocklistName, blocklistItemId, blocklistItemText}],
"categoriesAnalysis": [{"category", "severity"}]}`.  FourSeverityLevels rounds a severity down to 0, 2, 4 or 6.
"""
from __future__ import annotations

import re

CATEGORIES = ("Hate", "SelfHarm", "Sexual", "Violence")
# Who may call it with an Entra token: the built-in roles whose dataActions reach
# Microsoft.CognitiveServices/accounts/ContentSafety/* (Cognitive Services User, Azure AI User, Azure AI Project
# Manager: all Microsoft.CognitiveServices/*).  The OpenAI roles stop at accounts/OpenAI/* and do not reach it.
# Sources: learn.microsoft.com/azure/api-management/llm-content-safety-policy (prerequisites: the backend must
# authenticate to Content Safety; "Managed identity with Cognitive Services User role is recommended") and
# learn.microsoft.com/azure/role-based-access-control/built-in-roles/ai-machine-learning.
CALLER_ROLES = ("a97b65f3-24c7-4388-baec-2e87135dc908", "53ca6127-db72-4b80-b1b0-d745d6d5456d",
                "eadc314b-1a2d-4efa-be10-5d325db5065e")
ANALYZE_ACTION = "Microsoft.CognitiveServices/accounts/ContentSafety/text:analyze/action"
_MARKER = re.compile(r"\b(hate|selfharm|sexual|violence)-severity-([0-7])\b", re.IGNORECASE)
_ATTACK = re.compile(r"\bignore\s+(?:all\s+|the\s+)?previous\s+instructions\b", re.IGNORECASE)


class BlocklistNotFound(LookupError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def body(self) -> dict:
        # The service's error shape; the text is ours.
        return {"error": {"code": "NotFound", "message": f"The blocklist '{self.name}' is not found."}}


def severities(text: str, output_type: str = "FourSeverityLevels") -> dict[str, int]:
    found = {category: 0 for category in CATEGORIES}
    for name, level in _MARKER.findall(text):
        category = next(category for category in CATEGORIES if category.lower() == name.lower())
        found[category] = max(found[category], int(level))
    if output_type != "EightSeverityLevels":
        found = {category: level - level % 2 for category, level in found.items()}
    return found


def _item_matches(item: dict, text: str) -> bool:
    props = item.get("properties") or {}
    pattern = props.get("pattern") or ""
    if not pattern:
        return False
    if props.get("isRegex"):
        try:
            return re.search(pattern, text, re.IGNORECASE) is not None
        except re.error:
            return False
    return re.search(r"(?<!\w)" + re.escape(pattern) + r"(?!\w)", text, re.IGNORECASE) is not None


def analyze(blocklists: dict[str, list[dict] | None], body: dict) -> dict:
    """text:analyze.  `blocklists` maps each blocklist name the request names to its items (None: no such
    blocklist on the account, which raises BlocklistNotFound)."""
    text = body.get("text") or ""
    wanted = body.get("categories") or list(CATEGORIES)
    output_type = body.get("outputType") or "FourSeverityLevels"
    matches = []
    for name in body.get("blocklistNames") or []:
        items = blocklists.get(name)
        if items is None:
            raise BlocklistNotFound(name)
        for item in items:
            if _item_matches(item, text):
                matches.append({"blocklistName": name, "blocklistItemId": item["name"],
                                "blocklistItemText": (item.get("properties") or {}).get("pattern")})
                if body.get("haltOnBlocklistHit"):
                    return {"blocklistsMatch": matches, "categoriesAnalysis": []}
    rated = severities(text, output_type)
    return {"blocklistsMatch": matches,
            "categoriesAnalysis": [{"category": category, "severity": rated[category]}
                                   for category in CATEGORIES if category in wanted]}


def shield_prompt(body: dict) -> dict:
    """text:shieldPrompt: `{"userPrompt", "documents"}` -> `{"userPromptAnalysis": {"attackDetected"},
    "documentsAnalysis": [...]}`."""
    return {"userPromptAnalysis": {"attackDetected": bool(_ATTACK.search(body.get("userPrompt") or ""))},
            "documentsAnalysis": [{"attackDetected": bool(_ATTACK.search(document or ""))}
                                  for document in body.get("documents") or []]}
