"""Checks the hwbench Kubernetes manifests offline, with no cluster.

1. Every document against the Kubernetes JSON schemas that the PyPI package
   kubernetes-validate ships (strict: unknown fields are errors too), for the
   oldest and the newest Kubernetes version the manifests support.
2. The wiring of a fleet run, which no schema sees: Indexed completion, one pod
   per node, results on the shared claim as <job>/<index>.json, the report
   reading the directory the fleet writes.
3. That the validator rejects broken copies of the fleet Job, so a pass means
   something.
4. With --rehearse: the pods' commands themselves, run here (rehearse.py),
   a pod whose deadline is shorter than its suite, which must fit its run
   into it, and the report Job's command over a synthetic fleet with three
   faulty nodes, which must exit 1 (the Job then fails).

Exits 0 when every check holds, 1 with one line per failure otherwise.
"""

import argparse
import copy
import os
import shutil
import sys

import kubernetes_validate

from manifests import CLAIM, FLEET, REPORT, claim_mount, container, expand, load, outcome, pod_spec
from rehearse import deadline_checks, flagged_fleet_checks, rehearsal_checks

# 1.29: first release with backoffLimitPerIndex on by default (beta).
# 1.37: the newest schemas in the pinned kubernetes-validate.
VERSIONS = ["1.29.0", "1.37.0"]


def schema_errors(doc):
    """The schema failures of one document, one line per version."""
    errors = []
    for version in VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.absolute_path)
            errors.append(f"Kubernetes {version}: {path}: {e.message}")
    return errors


def fleet_checks(fleet):
    """(what, holds) pairs for the fleet Job."""
    spec = fleet["spec"]
    labels = spec["template"]["metadata"]["labels"]
    terms = pod_spec(fleet)["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]
    one_per_node = any(
        t["topologyKey"] == "kubernetes.io/hostname"
        and t["labelSelector"]["matchLabels"].items() <= labels.items()
        for t in terms)
    mount = claim_mount(fleet)
    script = " ".join(container(fleet)["command"])
    out = f'--out "{mount}/$JOB_NAME/$JOB_COMPLETION_INDEX.json"'
    env = {e["name"]: e["value"] for e in container(fleet).get("env", []) if "value" in e}
    pod_deadline = pod_spec(fleet).get("activeDeadlineSeconds")
    budget = '--budget "$((HWBENCH_DEADLINE_SECONDS - HWBENCH_BUDGET_MARGIN))s"'
    margin = int(env.get("HWBENCH_BUDGET_MARGIN", "0"))
    return [
        ("fleet: completionMode is Indexed", spec["completionMode"] == "Indexed"),
        ("fleet: parallelism equals completions",
         spec["parallelism"] == spec["completions"] >= 1),
        ("fleet: a failed index does not stop the others", spec.get("backoffLimitPerIndex") == 0),
        ("fleet: required anti-affinity per hostname selects its own pods", one_per_node),
        ("fleet: pods never restart in place", pod_spec(fleet)["restartPolicy"] == "Never"),
        (f"fleet: mounts claim {CLAIM}", mount is not None),
        ("fleet: writes <job>/<index>.json on the claim", mount is not None and out in script),
        ("fleet: HWBENCH_DEADLINE_SECONDS is the pod's activeDeadlineSeconds",
         pod_deadline is not None and env.get("HWBENCH_DEADLINE_SECONDS") == str(pod_deadline)),
        ("fleet: hwbench's --budget is the pod's deadline less a margin shorter than it",
         budget in script and 0 < margin < (pod_deadline or 0)),
        ("fleet: a pod's deadline fits in the Job's",
         pod_deadline is not None and pod_deadline <= spec.get("activeDeadlineSeconds", 0)),
    ]


def report_checks(report, fleet):
    """(what, holds) pairs for the report Job."""
    env = {e["name"]: e["value"] for e in container(report).get("env", []) if "value" in e}
    mount = claim_mount(report)
    run_dir = f"{mount}/{fleet['metadata']['name']}"
    command = expand(container(report)["command"], env)
    return [
        (f"report: mounts claim {CLAIM}", mount is not None),
        ("report: runs hwbench fleet over the fleet's directory into <dir>/report, as the container's command",
         command == ["hwbench", "fleet", run_dir, "--out", f"{run_dir}/report"]),
        ("report: runs once", report["spec"].get("backoffLimit") == 0),
    ]


def broken_fleets(fleet):
    """(what, document) pairs that the schemas must reject."""
    wrong_type = copy.deepcopy(fleet)
    wrong_type["spec"]["parallelism"] = "two"
    unknown_field = copy.deepcopy(fleet)
    pod_spec(unknown_field)["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKeys"] = ["x"]
    no_containers = copy.deepcopy(fleet)
    del pod_spec(no_containers)["containers"]
    return [("parallelism as a string", wrong_type),
            ("a misspelled field (strict)", unknown_field),
            ("no containers", no_containers)]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifests", nargs=3, metavar="YAML", help="pvc.yaml fleet-job.yaml report-job.yaml")
    parser.add_argument("--rehearse", metavar="BIN_DIR",
                        help="also rehearse the run with the hwbench in BIN_DIR (rehearse.py)")
    parser.add_argument("--volume", metavar="DIR", help="the rehearsal's stand-in for the claim (emptied first)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="override a fleet pod's env var in the rehearsal")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    docs = load(args.manifests)
    fleet = docs[FLEET]
    report = docs[REPORT]
    checks = []
    for key, doc in sorted(docs.items()):
        checks.append(outcome(f"{key} validates against Kubernetes {' and '.join(VERSIONS)}", schema_errors(doc)))
    pvc = docs[f"PersistentVolumeClaim/{CLAIM}"]
    checks.append((f"claim {CLAIM} is ReadWriteMany", "ReadWriteMany" in pvc["spec"]["accessModes"]))
    checks += fleet_checks(fleet)
    checks += report_checks(report, fleet)
    for what, doc in broken_fleets(fleet):
        checks.append((f"the schemas reject a fleet Job with {what}", len(schema_errors(doc)) == len(VERSIONS)))
    if args.rehearse:
        shutil.rmtree(args.volume, ignore_errors=True)
        os.makedirs(args.volume)
        overrides = dict(pair.split("=", 1) for pair in args.env)
        checks += rehearsal_checks(fleet, report, args.volume, args.rehearse, overrides)
        checks += deadline_checks(fleet, args.volume, args.rehearse)
        checks += flagged_fleet_checks(report, args.volume, args.rehearse)

    failed = [what for what, holds in checks if not holds]
    for what in failed:
        print(f"test-k8s: FAILED: {what}", file=sys.stderr)
    print(f"test-k8s: {len(checks) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
