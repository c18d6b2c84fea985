# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan of a model upgrade without downtime (playbooks/upgrade_model.yml), from what Azure holds now.

The new version is deployed beside the old one under a deployment name of its own on every host that serves the
model; callers keep calling the model by its name. The model's route then goes to a pool of per-deployment backends
(each backend's URL ends in its deployment, so a pool member sends each call to the deployment it serves), whose
weights move step by step from the old deployments to the new ones; then the old deployments go. Every stage is
derived from reads (which deployments exist, which pools exist with which weights), never from a local record, so an
interrupted run re-planned from the same reads resumes where Azure is.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.aigateway.foundry.plugins.filter.topology import deployment_backend, deployment_pool

# The settings of a deployment copied from the old one to the new one (the version is the upgrade's own).
COPIED = (("model_name", ("properties", "model", "name")), ("model_format", ("properties", "model", "format")),
          ("sku_name", ("sku", "name")), ("capacity", ("sku", "capacity")),
          ("rai_policy_name", ("properties", "raiPolicyName")))


def _dig(item, path):
    for key in path:
        item = (item or {}).get(key)
    return item


def _settings(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("upgrade_plan needs a dict of settings, got %r" % (settings,))
    model, version = settings.get("model"), settings.get("to_version")
    if not model or not version:
        raise AnsibleFilterError("a model upgrade needs the model and the version to move to, got model %r, "
                                 "to_version %r" % (model, version))
    old = settings.get("from_deployment") or model
    new = settings.get("to_deployment") or "%s-%s" % (model, version)
    if old == new:
        raise AnsibleFilterError("the new deployment needs a name of its own, got %s for both" % new)
    steps = settings.get("steps") or [0, 50, 100]
    if (not all(isinstance(step, int) and not isinstance(step, bool) and 0 <= step <= 100 for step in steps)
            or list(steps) != sorted(set(steps)) or steps[-1] != 100):
        raise AnsibleFilterError("upgrade steps must be ascending percentages 0-100 ending in 100, got %r" % (steps,))
    if not settings.get("pool_name"):
        raise AnsibleFilterError("a model upgrade needs the gateway's pool name, got %r" % settings.get("pool_name"))
    return model, version, old, new, list(steps)


def _host_weights(hosts):
    """Each host's weight scaled so the heaviest is 100 (APIM takes 0-100): a step then splits every host's share."""
    top = max(int(host.get("weight", 1)) for host in hosts)
    return dict((host["name"], int(host.get("weight", 1)) * 100 // top) for host in hosts)


def _members(hosts, weights, deployments, percent, old, new):
    """The pool's services at a step: per host, the old deployment's backend and the new one's, splitting its weight."""
    members = []
    for host in hosts:
        moved = (weights[host["name"]] * percent + 50) // 100     # half up, the same on every Python
        for deployment, weight in ((old, weights[host["name"]] - moved), (new, moved)):
            if deployment in deployments:
                members.append({"backend": deployment_backend(host["backend"], deployment),
                                "priority": int(host.get("priority", 1)), "weight": weight})
    return members


def _pool_services(backends, name):
    """{member name: weight} of a pool as listed (apim_backend_info), or None when no such pool exists."""
    for backend in backends or []:
        props = backend.get("properties") or {}
        if (backend.get("name") or "").lower() == name.lower() and props.get("type") == "Pool":
            return dict((service["id"].rstrip("/").rsplit("/", 1)[-1].lower(), service.get("weight") or 0)
                        for service in (props.get("pool") or {}).get("services") or [])
    return None


def upgrade_plan(settings, deployments_read, backends_read):
    """What is left of a model's upgrade, planned from reads of Azure.

    settings: {model (the name callers use), to_version, from_deployment (default the model), to_deployment (default
    <model>-<to_version>), steps (ascending percentages ending in 100, default [0, 50, 100]), pool_name (the gateway's),
    hosts (the model hosts: name, backend, priority, weight)}. deployments_read: model_deployment_info's accounts for
    the hosts; backends_read: apim_backend_info's backends of the service.

    Returns {stage (deploy, shift, retire or done), position (where the upgrade is, in words), hosts (the hosts that
    serve the model), create (the new deployments still missing, with the old one's settings and the new version),
    backends (the per-deployment backends: name, account, deployment), shift_pool, steps (the steps not yet taken:
    {percent, members}), final_pool, final_members, retire (the old deployments still present: account, name),
    old_deployment, new_deployment}. The pools and backends the upgrade leaves go with site.yml's stale rule
    (stale_backends), which the upgrade runs once the route names the new deployments only.
    """
    model, version, old, new, steps = _settings(settings)
    hosts = settings.get("hosts") or []
    reads = dict(((read.get("name") or "").lower(), read) for read in deployments_read or [])
    serving, present = [], {}
    for host in hosts:
        if not isinstance(host, dict) or not host.get("name") or not host.get("backend"):
            raise AnsibleFilterError("a model host needs a name and a backend, got %r" % (host,))
        read = reads.get(host["name"].lower()) or {}
        held = dict((item.get("name"), item) for item in read.get("deployments") or [])
        if old in held or new in held:
            serving.append(host)
            present[host["name"]] = held
    if not serving:
        raise AnsibleFilterError("no model host has deployment %s or %s: nothing to upgrade" % (old, new))
    weights = _host_weights(serving)
    create = []
    for host in serving:
        held = present[host["name"]]
        if new in held:
            continue
        if old not in held:     # unreachable: serving hosts hold one of the two
            continue
        item = dict((key, _dig(held[old], path)) for key, path in COPIED)
        item.update(account=host["name"], name=new, model_version=version)
        create.append(item)
    backends = [{"name": deployment_backend(host["backend"], deployment), "account": host["name"],
                 "deployment": deployment} for host in serving for deployment in (old, new)]
    shift_pool = deployment_pool(settings["pool_name"], model, [old, new])
    final_pool = deployment_pool(settings["pool_name"], model, [new])
    # The pool model_routes builds from the hosts once they list the new deployment only: each host's own weight.
    final_members = [{"backend": deployment_backend(host["backend"], new), "priority": int(host.get("priority", 1)),
                      "weight": int(host.get("weight", 1))} for host in serving]
    retire = [{"account": host["name"], "name": old} for host in serving if old in present[host["name"]]]
    wanted_final = dict((member["backend"].lower(), member["weight"]) for member in final_members)
    shift_held = _pool_services(backends_read, shift_pool)
    final = _pool_services(backends_read, final_pool) == wanted_final
    if len(serving) == 1 and shift_held is None:
        # One host: the final route is the new deployment's backend itself, no pool. site.yml's stale rule deletes the
        # old deployment's backend only once the route names the new one: the new one listed without it is the end.
        listed = set((backend.get("name") or "").lower() for backend in backends_read or [])
        final = (deployment_backend(serving[0]["backend"], new).lower() in listed
                 and deployment_backend(serving[0]["backend"], old).lower() not in listed)
    if final:
        share = 100
    elif shift_held:
        total = sum(shift_held.values())
        moved = sum(weight for name, weight in shift_held.items() if name.endswith("-" + new.lower()))
        share = (200 * moved + total) // (2 * total) if total else 0     # half up
    else:
        share = None    # the pool over both deployments is not there yet: the first step creates it
    left = [step for step in steps if share is None or step > share]
    if share is not None and share < 100 and share not in steps:
        left = [share] + left   # a step half-written (by hand or cut short) is redone at its place first
    plan_steps = [{"percent": step, "members": _members(serving, weights, [old, new], step, old, new)}
                  for step in left] if not final else []
    if create:
        stage = "deploy"
    elif plan_steps:
        stage = "shift"
    elif retire or _pool_services(backends_read, shift_pool) is not None:
        stage = "retire"
    else:
        stage = "done"
    position = "%d of %d hosts have %s; %s; %d old deployment(s) %s left" % (
        len(serving) - len(create), len(serving), new,
        "no pool over both deployments yet" if share is None else "the route sends %d%% to %s" % (share, new),
        len(retire), old)
    return {"stage": stage, "position": position, "hosts": [host["name"] for host in serving], "create": create,
            "backends": backends, "shift_pool": shift_pool, "steps": plan_steps, "final_pool": final_pool,
            "final_members": final_members, "retire": retire, "old_deployment": old, "new_deployment": new}


def upgrade_hosts(hosts, settings, phase):
    """The model hosts as the gateway sees them in a phase of the upgrade, for model_routes, deployment_backends and
    static_models: shift, every host that lists the old deployment lists the new one beside it (the old one's
    settings, the new version, served as the model); final, the new one instead of the old. The inventory's model
    hosts after the upgrade are the final ones (README: upgrading a model)."""
    model, version, old, new, _steps = _settings(settings)
    if phase not in ("shift", "final"):
        raise AnsibleFilterError("upgrade_hosts phase must be shift or final, got %r" % (phase,))
    found = []
    for host in hosts or []:
        deployments = []
        for deployment in host.get("deployments") or []:
            if deployment.get("name") == new:
                continue    # listed by hand already: replaced by the one derived from the old deployment
            if deployment.get("name") != old:
                deployments.append(deployment)
                continue
            upgraded = dict(deployment, name=new, model_name=deployment.get("model_name") or old,
                            model_version=version, gateway_model=model)
            deployments += [dict(deployment, gateway_model=model), upgraded] if phase == "shift" else [upgraded]
        found.append(dict(host, deployments=deployments))
    return found


class FilterModule(object):
    def filters(self):
        return {"upgrade_plan": upgrade_plan, "upgrade_hosts": upgrade_hosts}
