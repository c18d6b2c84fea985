#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to aigateway.foundry
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_analytics_query
short_description: Run a Kusto query on a Log Analytics workspace and return the rows
version_added: 0.1.0
description:
  - Queries a Log Analytics workspace through the Log Analytics query API (C(azure-monitor-query)
    C(LogsQueryClient)) and returns the rows of the first table as dicts keyed by column name.
  - Read-only; the same in check mode.
  - Log Analytics ingests with a delay of minutes; a query right after the event may find nothing yet. Retry the
    task (C(until)/C(retries)) rather than assume absence.
author:
  - aigateway.foundry maintainers (@aigateway)
extends_documentation_fragment: [aigateway.foundry.resource.READ_ONLY, aigateway.foundry.azure]
options:
  workspace_id:
    description: The workspace's customer id (a GUID, C(properties.customerId)), not its resource id.
    type: str
    required: true
  query:
    description: The Kusto query, for example C(ApiManagementGatewayLogs | take 10).
    type: str
    required: true
  timespan:
    description:
      - The time range to query, as an ISO 8601 duration ending now (V(PT30M), V(P1D)) or a start/end pair of ISO
        8601 times separated by V(/). Empty for no time range (the query's own filters only).
    type: str
    default: PT1H
  endpoint:
    description:
      - The Log Analytics query API. Defaults to the cloud's (V(https://api.loganalytics.io/v1) in the public
        cloud); a trailing C(/v1) is optional. In local mode, the local endpoint's Log Analytics URL.
      - Tokens are always requested for the cloud's Log Analytics audience (V(https://api.loganalytics.io)).
    type: str
  server_timeout:
    description: Seconds the service may spend on the query (at most 600).
    type: int
    default: 180
requirements:
  - azure-monitor-query >= 1.2.0
notes:
  - The identity needs C(Log Analytics Reader) (or any role with C(Microsoft.OperationalInsights/workspaces/query/read))
    on the workspace.
"""

EXAMPLES = r"""
- name: Gateway calls of the last half hour for one deployment
  aigateway.foundry.log_analytics_query:
    workspace_id: "{{ workspace.customer_id }}"
    query: >-
      ApiManagementGatewayLogs
      | where Url has "/deployments/gpt-4.1-mini/"
      | project TimeGenerated, Method, Url, ResponseCode, BackendResponseCode
    timespan: PT30M
  register: calls
  until: calls.rows | length > 0
  retries: 20
  delay: 30
"""

RETURN = r"""
state:
  description: Always null; a query manages no resource.
  returned: always
  type: dict
  sample: null
rows:
  description: The rows of the first result table, each a dict of column name to value (times as ISO 8601 text).
  returned: always
  type: list
  elements: dict
  sample: [{"TimeGenerated": "2025-06-01T10:00:00+00:00", "Method": "POST", "ResponseCode": 200}]
columns:
  description: The first table's column names.
  returned: always
  type: list
  elements: str
  sample: ["TimeGenerated", "Method", "ResponseCode"]
status:
  description: V(Success), or V(PartialError) when the service returned part of the result (see RV(partial_error)).
  returned: always
  type: str
  sample: Success
partial_error:
  description: The service's message when only part of the result came back.
  returned: when RV(status) is V(PartialError)
  type: str
endpoint:
  description: The query API the task called (without the version path).
  returned: always
  type: str
  sample: https://api.loganalytics.io
"""

from ansible_collections.aigateway.foundry.plugins.module_utils import foundry_dataplane as dataplane
from ansible_collections.aigateway.foundry.plugins.module_utils import validation
from ansible_collections.aigateway.foundry.plugins.module_utils.azure_module import AzureModule
from ansible_collections.aigateway.foundry.plugins.module_utils.foundry_dataplane import parse_timespan, table_rows

ARGUMENT_SPEC = dict(
    workspace_id=dict(type="str", required=True),
    query=dict(type="str", required=True),
    timespan=dict(type="str", default="PT1H"),
    endpoint=dict(type="str"),
    server_timeout=dict(type="int", default=180),
)


def validate(params):
    if not validation.GUID.match(params["workspace_id"]):
        return ("workspace_id %r is not a workspace customer id (a GUID; the workspace's properties.customerId, "
                "not its resource id)" % params["workspace_id"])
    if not params["query"].strip():
        return "query is empty"
    if not 0 < params["server_timeout"] <= 600:
        return "server_timeout must be between 1 and 600 seconds, not %s" % params["server_timeout"]
    return None


def main():
    module = AzureModule(ARGUMENT_SPEC)
    params = module.params
    timespan, timespan_problem = parse_timespan(params["timespan"])
    endpoint, audience, endpoint_problem = dataplane.log_analytics_endpoint(
        params["cloud_environment"], params["endpoint"])
    problem = validate(params) or timespan_problem or endpoint_problem
    if problem:
        module.fail(problem)
    client = dataplane.logs_client(module, endpoint, audience)
    url = "%s/v1/workspaces/%s/query" % (endpoint, params["workspace_id"])
    result = dataplane.call(module, "query workspace %s" % params["workspace_id"], url, client.query_workspace,
                            params["workspace_id"], params["query"], timespan=timespan,
                            server_timeout=params["server_timeout"])
    status = str(getattr(result.status, "value", result.status))
    tables = result.tables if status == "Success" else result.partial_data
    columns, rows = table_rows(tables[0]) if tables else ([], [])
    extra = {}
    if status != "Success":
        extra["partial_error"] = getattr(result.partial_error, "message", str(result.partial_error))
    module.exit(False, None, rows=rows, columns=columns, status=status, endpoint=endpoint, **extra)


if __name__ == "__main__":
    main()
