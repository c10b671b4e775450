"""Rehearses a fleet run on this machine, without Kubernetes.

Runs the container command of every pod of the fleet Job (one per completion
index, one after the other), then the report Job's, as the kubelet would
start them: with the env of the manifest plus the given overrides, NODE_NAME,
JOB_NAME and JOB_COMPLETION_INDEX filled in as the downward API and the Job
controller would (node names rehearsal-node-<index>), the claim's mount path
replaced by a local directory, and `hwbench` found on PATH in the given
directory. Then checks what they left on the "volume". A pod with a deadline
shorter than its suite is stopped as the kubelet stops it (SIGTERM at the
deadline, SIGKILL after the grace period).
"""

import json
import os
import signal
import subprocess
import time

from manifests import claim_mount, container, expand, outcome

POD_TIMEOUT_S = 300
# The kubelet's default terminationGracePeriodSeconds.
GRACE_S = 30


def node_name(index):
    return f"rehearsal-node-{index}"


def pod_env(job, overrides, index=None):
    """The container env of one pod: values, downward API fields, the index."""
    fields = {"metadata.labels['job-name']": job["metadata"]["name"]}
    if index is not None:
        fields["spec.nodeName"] = node_name(index)
    env = {}
    for var in container(job).get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
        else:
            env[var["name"]] = fields[var["valueFrom"]["fieldRef"]["fieldPath"]]
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)
    env.update(overrides)
    return env


def run_pod(job, pod, volume, bin_dir, env, expect=0):
    """Runs the job's container command as pod `pod`; returns (what, holds):
    whether it exited `expect`."""
    mount = claim_mount(job)
    command = [word.replace(mount, volume) for word in expand(container(job)["command"], env)]
    full_env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", **env)
    done = subprocess.run(command, env=full_env, timeout=POD_TIMEOUT_S,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    what = f"rehearsal: {pod} exits {expect}"
    if done.returncode != expect:
        what += f" (exit {done.returncode}: {done.stdout.strip()[-500:]})"
    return what, done.returncode == expect


def result_problems(path, label, budget, statuses=("complete",)):
    """What keeps `path` from being a complete hwbench result with this label,
    a status among `statuses`, `budget` seconds asked and positive figures;
    empty when nothing does."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        return [str(e)]
    problems = []
    if doc.get("schema_version") != 1 or doc.get("tool", {}).get("name") != "hwbench":
        problems.append("not an hwbench result of schema version 1")
    run = doc.get("run", {})
    if run.get("status") not in statuses or run.get("label") != label:
        problems.append(f"run {run.get('status')}, label {run.get('label')!r}")
    asked = (run.get("budget") or {}).get("asked_seconds")
    if asked != budget:
        problems.append(f"budget {asked} s asked, not {budget} s")
    records = doc.get("benchmarks", [])
    if not any(r["status"] == "ok" for r in records):
        problems.append("no ok record")
    for r in records:
        measured = r["status"] == "ok" and r["metrics"] and all(m["value"] > 0 for m in r["metrics"])
        if not measured and not (r["status"] == "skipped" and r.get("reason")):
            problems.append(f"{r['id']} {r['status']}: {r.get('reason') or 'no positive figures'}")
    return sorted(set(problems))


def rehearsal_checks(fleet, report, volume, bin_dir, overrides):
    """(what, holds) pairs: every pod ran and left what the report needs."""
    job = fleet["metadata"]["name"]
    indexes = range(fleet["spec"]["completions"])
    checks = [run_pod(fleet, f"{job} pod {i}", volume, bin_dir, pod_env(fleet, overrides, i))
              for i in indexes]
    checks.append(run_pod(report, f"{report['metadata']['name']} pod", volume, bin_dir, pod_env(report, {})))
    for i in indexes:
        label = f"{node_name(i)} (k8s job {job} index {i})"
        env = pod_env(fleet, overrides, i)
        budget = int(env["HWBENCH_DEADLINE_SECONDS"]) - int(env["HWBENCH_BUDGET_MARGIN"])
        problems = result_problems(os.path.join(volume, job, f"{i}.json"), label, budget)
        what = f"rehearsal: {job}/{i}.json is a complete result labelled '{label}'"
        checks.append(outcome(what, problems))
    nodes_csv = os.path.join(volume, job, "report", "nodes.csv")
    try:
        with open(nodes_csv, encoding="utf-8") as f:
            nodes = f.read()
    except OSError:
        nodes = ""
    checks.append((f"rehearsal: the fleet report {job}/report/nodes.csv lists every node",
                   bool(nodes) and all(node_name(i) in nodes for i in indexes)))
    return checks


# The deadline pod: its suite repeated three times (whatever the machine,
# past the deadline), 40 s to run it, 10 s of them kept from the budget.
DEADLINE_ARGS = "--repeat 3"
DEADLINE_S = 40
DEADLINE_MARGIN_S = 10


def deadline_checks(fleet, volume, bin_dir):
    """(what, holds) pairs: a pod whose deadline is shorter than its suite's
    estimate here ends before its deadline with a result of what it ran,
    complete or ended by its budget."""
    job = fleet["metadata"]["name"]
    index = fleet["spec"]["completions"]
    deadline, margin = DEADLINE_S, DEADLINE_MARGIN_S
    env = pod_env(fleet, {"HWBENCH_ARGS": DEADLINE_ARGS, "HWBENCH_DEADLINE_SECONDS": str(deadline),
                          "HWBENCH_BUDGET_MARGIN": str(margin)}, index)
    plan = subprocess.run([os.path.join(bin_dir, "hwbench"), "run", "--suite", env["HWBENCH_SUITE"],
                           *DEADLINE_ARGS.split(), "--plan", "--json"],
                          stdout=subprocess.PIPE, text=True, check=True, timeout=POD_TIMEOUT_S)
    estimate = json.loads(plan.stdout)["estimated_seconds"]
    mount = claim_mount(fleet)
    command = [word.replace(mount, volume) for word in expand(container(fleet)["command"], env)]
    full_env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", **env)
    started = time.monotonic()
    pod = subprocess.Popen(command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = pod.communicate(timeout=deadline)
        stopped = ""
    except subprocess.TimeoutExpired:
        pod.send_signal(signal.SIGTERM)
        try:
            output, _ = pod.communicate(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            pod.kill()
            output, _ = pod.communicate()
        stopped = f", stopped by its deadline after {time.monotonic() - started:.0f} s"
    label = f"{node_name(index)} (k8s job {job} index {index})"
    what = (f"rehearsal: a pod with a {deadline} s deadline for the {env['HWBENCH_SUITE']} suite {DEADLINE_ARGS} "
            f"(estimated {estimate:.0f} s) exits 0 before it")
    if pod.returncode != 0 or stopped:
        what += f" (exit {pod.returncode}{stopped}: {output.strip()[-300:]})"
    problems = result_problems(os.path.join(volume, job, f"{index}.json"), label, deadline - margin,
                               ("complete", "budget_ended"))
    return [
        (f"rehearsal: the {env['HWBENCH_SUITE']} suite {DEADLINE_ARGS} is estimated past the pod's deadline",
         estimate > deadline),
        (what, pod.returncode == 0 and not stopped),
        outcome(f"rehearsal: {job}/{index}.json holds what the pod ran, within its budget", problems),
    ]


def flagged_fleet_checks(report, volume, bin_dir):
    """(what, holds) pairs: the report Job's command over issue 16's synthetic
    fleet (40 nodes from a real result, three faulty) exits 1 and names them."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    job = "synthetic-fleet"
    subprocess.run([os.path.join(root, "scripts/bench/synthetic-fleet"), "--faults",
                    "--from", os.path.join(root, "results/kvm-xeon-2vcpu/2026-11-24-ci.json"),
                    "--out", os.path.join(volume, job)], check=True, stdout=subprocess.DEVNULL)
    checks = [run_pod(report, f"{report['metadata']['name']} pod over {job}", volume, bin_dir,
                      dict(pod_env(report, {}), FLEET_JOB=job), expect=1)]
    try:
        with open(os.path.join(volume, job, "report", "fleet.json"), encoding="utf-8") as f:
            flagged = [o["label"] for o in json.load(f)["outliers"]]
    except (OSError, ValueError, KeyError):
        flagged = []
    checks.append((f"rehearsal: the report over {job} flags node-07, node-19 and node-31 (flagged: {flagged})",
                   flagged == ["node-07", "node-19", "node-31"]))
    return checks
