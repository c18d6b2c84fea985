# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    # The waiting actions (await_job, await_listed) name an operation's kind for its typical duration on Azure; the
    # kinds are the keys of module_utils/typical_waits.py's TYPICAL (tests/unit/plugins/doc_fragments holds that).
    DOCUMENTATION = r"""
options:
  kind:
    description: The kind of operation, for its typical duration on Azure. Without it the lines give none.
    type: str
    choices: [account, account_delete, apim_create, apim_delete, apim_purge, deployment, project, redis]
"""
