"""Validates the hwbench Kubernetes manifests offline, with no cluster.

1. Every document against the Kubernetes JSON schemas that the PyPI package
   kubernetes-validate ships (strict: unknown fields are errors too), for the
   oldest and the newest Kubernetes version the manifests support.
2. The wiring of a fleet run, which no schema sees: Indexed completion, one pod
   per node, results on the shared claim as <job>/<index>.json, the report
   reading the directory the fleet writes.
3. That the validator rejects broken copies of the fleet Job, so a pass means
   something.

Usage: validate.py pvc.yaml fleet-job.yaml report-job.yaml
Exits 0 when every check holds, 1 with one line per failure otherwise.
"""

import copy
import sys

import kubernetes_validate
import yaml

# 1.29: first release with backoffLimitPerIndex on by default (beta).
# 1.37: the newest schemas in the pinned kubernetes-validate.
VERSIONS = ["1.29.0", "1.37.0"]


def load(paths):
    """Returns {kind/name: document} over every document of every file."""
    docs = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                docs[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return docs


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


def pod_spec(job):
    return job["spec"]["template"]["spec"]


def claim_mount(job, claim):
    """The mount path of the volume backed by `claim` in the job's first container."""
    spec = pod_spec(job)
    volumes = [v["name"] for v in spec.get("volumes", [])
               if v.get("persistentVolumeClaim", {}).get("claimName") == claim]
    mounts = [m["mountPath"] for m in spec["containers"][0].get("volumeMounts", [])
              if m["name"] in volumes]
    return mounts[0] if mounts else None


def expand(words, env):
    """Kubernetes $(VAR) expansion of command words with the container's env values."""
    out = []
    for word in words:
        for name, value in env.items():
            word = word.replace(f"$({name})", value)
        out.append(word)
    return out


def fleet_checks(fleet, claim):
    """(what, holds) pairs for the fleet Job."""
    spec = fleet["spec"]
    labels = fleet["spec"]["template"]["metadata"]["labels"]
    terms = pod_spec(fleet)["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"]
    one_per_node = any(
        t["topologyKey"] == "kubernetes.io/hostname"
        and t["labelSelector"]["matchLabels"].items() <= labels.items()
        for t in terms)
    mount = claim_mount(fleet, claim)
    script = " ".join(pod_spec(fleet)["containers"][0]["command"])
    out = f'--out "{mount}/$JOB_NAME/$JOB_COMPLETION_INDEX.json"'
    return [
        ("fleet: completionMode is Indexed", spec["completionMode"] == "Indexed"),
        ("fleet: parallelism equals completions",
         spec["parallelism"] == spec["completions"] >= 1),
        ("fleet: a failed index does not stop the others", spec.get("backoffLimitPerIndex") == 0),
        ("fleet: required anti-affinity per hostname selects its own pods", one_per_node),
        ("fleet: pods never restart in place", pod_spec(fleet)["restartPolicy"] == "Never"),
        (f"fleet: mounts claim {claim}", mount is not None),
        ("fleet: writes <job>/<index>.json on the claim", mount is not None and out in script),
    ]


def report_checks(report, fleet, claim):
    """(what, holds) pairs for the report Job."""
    container = pod_spec(report)["containers"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    mount = claim_mount(report, claim)
    run_dir = f"{mount}/{fleet['metadata']['name']}"
    return [
        (f"report: mounts claim {claim}", mount is not None),
        ("report: runs hwbench report over the fleet's directory into <dir>/report",
         expand(container["command"], env) == ["hwbench", "report", run_dir, "--out", f"{run_dir}/report"]),
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


def main(paths):
    docs = load(paths)
    claim = "hwbench-results"
    fleet = docs["Job/hwbench-fleet"]
    report = docs["Job/hwbench-fleet-report"]
    checks = []
    for key, doc in sorted(docs.items()):
        errors = schema_errors(doc)
        what = f"{key} validates against Kubernetes {' and '.join(VERSIONS)}"
        checks.append((f"{what}: {'; '.join(errors)}" if errors else what, not errors))
    pvc = docs[f"PersistentVolumeClaim/{claim}"]
    checks.append((f"claim {claim} is ReadWriteMany", "ReadWriteMany" in pvc["spec"]["accessModes"]))
    checks += fleet_checks(fleet, claim)
    checks += report_checks(report, fleet, claim)
    for what, doc in broken_fleets(fleet):
        checks.append((f"the schemas reject a fleet Job with {what}", len(schema_errors(doc)) == len(VERSIONS)))

    failed = [what for what, holds in checks if not holds]
    for what in failed:
        print(f"test-k8s: FAILED: {what}", file=sys.stderr)
    print(f"test-k8s: {len(checks) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
