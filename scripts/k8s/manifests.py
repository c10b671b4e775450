"""Reading the hwbench Kubernetes manifests, and check results: shared by check.py and rehearse.py."""

import yaml

CLAIM = "hwbench-results"
FLEET = "Job/hwbench-fleet"
REPORT = "Job/hwbench-fleet-report"


def load(paths):
    """Returns {kind/name: document} over every document of every file."""
    docs = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                docs[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return docs


def pod_spec(job):
    """The pod template's spec of a Job."""
    return job["spec"]["template"]["spec"]


def container(job):
    """The (only) container of a Job's pods."""
    return pod_spec(job)["containers"][0]


def claim_mount(job, claim=CLAIM):
    """The mount path of the volume backed by `claim` in the job's container, or None."""
    volumes = [v["name"] for v in pod_spec(job).get("volumes", [])
               if v.get("persistentVolumeClaim", {}).get("claimName") == claim]
    mounts = [m["mountPath"] for m in container(job).get("volumeMounts", [])
              if m["name"] in volumes]
    return mounts[0] if mounts else None


def expand(words, env):
    """Kubernetes $(VAR) expansion of command words with the given env values."""
    out = []
    for word in words:
        for name, value in env.items():
            word = word.replace(f"$({name})", value)
        out.append(word)
    return out


def outcome(what, problems):
    """A (what, holds) check pair; the problems, if any, are appended to what."""
    return (f"{what}: {'; '.join(problems)}" if problems else what, not problems)
