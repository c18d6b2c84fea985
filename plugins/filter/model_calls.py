# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a call to a model must carry because of the model it reaches (the rules live in module_utils/model_rules)."""
from __future__ import annotations

from ansible_collections.aigateway.foundry.plugins.module_utils import model_rules


def completion_limit(models, deployment, tokens):
    """{"max_completion_tokens": n} when the deployment's model is a reasoning model, else {"max_tokens": n}.

    models: the connection's static models (static_models: name, model_name, ...); deployment: the deployment name
    called. A deployment not listed is judged by its own name.
    """
    by_name = dict((model.get("name"), model) for model in models or [] if isinstance(model, dict))
    model_name = (by_name.get(deployment) or {}).get("model_name") or deployment
    return model_rules.completion_limit(model_name, tokens)


class FilterModule(object):
    def filters(self):
        return {"completion_limit": completion_limit}
