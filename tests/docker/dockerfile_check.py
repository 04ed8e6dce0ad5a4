#!/usr/bin/env python3
"""Lints deploy/docker/Dockerfile offline: the hadolint rules that matter here.

hadolint itself is not obtainable on this machine (not in Debian; the npm
package `hadolint` is a wrapper that downloads the binary from GitHub),
so this is a documented checklist (deploy/docker/README.md, "Lint"):

  DL3006  every FROM of an outside image names an explicit tag or digest
  DL3007  no `latest` tag
  DL3014  apt-get install has -y
  DL3015  apt-get install has --no-install-recommends
  DL3009  a RUN that runs apt-get update/install removes /var/lib/apt/lists/*
  DL3027  apt-get, not apt
  DL3004  no sudo
  DL3003  WORKDIR, not `cd` in RUN
  DL3020  COPY, not ADD
  DL3025  ENTRYPOINT, CMD and HEALTHCHECK CMD in exec (JSON) form
  DL3002  every stage that runs a role (has an ENTRYPOINT) runs as non-root
  DL4000  no MAINTAINER
  DL4006  a RUN with a pipe follows SHELL [..., "-o", "pipefail", ...]
  SL001   multi-stage: a build stage and a runtime stage from a -slim image
          that takes files with COPY --from
  SL002   USER is numeric UID:GID (Kubernetes runAsNonRoot can verify it)
  SL003   every role stage has a HEALTHCHECK that runs seedlm-health-probe
  SL004   every role stage EXPOSEs exactly the ports its command listens on,
          listens on 0.0.0.0 (not loopback), probes one of its own ports,
          and the ports are the role's contract ports (with --repo ROOT: which
          include the binaries' own default ports, read from their main.cc)

Usage: dockerfile_check.py [--repo ROOT] [DOCKERFILE]   (exit 1 on findings)
       dockerfile_check.py --self-test   (each rule fires on a bad file)
       dockerfile_check.py --runtime-manifest DOCKERFILE   (what the runtime
           stage copies and installs; tests/docker/runtime_files_test.sh)
"""

import json
import os
import re
import sys

# The role binaries and the ports the images' contract gives them
# (deploy/docker/README.md, "Ports").
ROLE_PORTS = {
    "seedlm-coordinator": {50051, 50052, 8080},
    "seedlm-worker": {9090},
    "seedlm-serve": {50061, 8080},
    "seedlm-executor": {9091},
}
# Flags whose value is an address the process listens on.
LISTEN_FLAGS = ("--listen", "--worker-listen", "--http")
# Where a binary's default listening addresses are declared (ABSL_FLAG).
DEFAULT_PORT_SOURCES = {
    "seedlm-coordinator": "server/coordinator/main.cc",
    "seedlm-serve": "server/inference/main.cc",
}


def parse(text):
    """Instructions as (line, KEYWORD, args), continuations joined and
    comment lines dropped (as Docker does, also inside continuations)."""
    out, buf, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#") or (not line and not buf):
            continue
        if not buf:
            start = number
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        keyword, _, args = buf.strip().partition(" ")
        out.append((start, keyword.upper(), args.strip()))
        buf = ""
    if buf:
        keyword, _, args = buf.strip().partition(" ")
        out.append((start, keyword.upper(), args.strip()))
    return out


class Stage:
    def __init__(self, line, image, name, parent):
        self.line, self.image, self.name, self.parent = line, image, name, parent
        self.instructions = []

    def own(self, keyword):
        return [(l, a) for l, k, a in self.instructions if k == keyword]

    def inherited(self, keyword):
        """The last `keyword` of this stage or the stages it derives from."""
        mine = self.own(keyword)
        if mine:
            return mine[-1]
        return self.parent.inherited(keyword) if self.parent else None


def stages_of(instructions):
    stages, by_name = [], {}
    for line, keyword, args in instructions:
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            image = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else ""
            stage = Stage(line, image, name, by_name.get(image))
            stages.append(stage)
            if name:
                by_name[name] = stage
        elif stages:
            stages[-1].instructions.append((line, keyword, args))
    return stages


def exec_form(args):
    try:
        value = json.loads(args)
    except ValueError:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def check_run(line, args, stage, report):
    cmds = args
    if re.search(r"(^|[;&|]\s*)sudo\s", cmds):
        report(line, "DL3004", "do not use sudo")
    if re.search(r"(^|[;&|]\s*)cd\s", cmds):
        report(line, "DL3003", "use WORKDIR to change directory, not cd")
    if re.search(r"(^|[;&|]\s*)apt\s", cmds):
        report(line, "DL3027", "use apt-get, not apt")
    if re.search(r"\bapt-get\s+(-\S+\s+)*install\b", cmds):
        if not re.search(r"(\s-y\b|--yes|--assume-yes|-qq?y)", cmds):
            report(line, "DL3014", "apt-get install without -y")
        if "--no-install-recommends" not in cmds:
            report(line, "DL3015", "apt-get install without --no-install-recommends")
    if re.search(r"\bapt-get\s+(-\S+\s+)*(update|install)\b", cmds):
        if not re.search(r"rm\s+-r?f?r?\s*(-\S+\s+)*/var/lib/apt/lists/\*?", cmds):
            report(line, "DL3009", "remove /var/lib/apt/lists/* in the same RUN")
    if re.search(r"[^|]\|[^|]", " " + cmds + " "):
        shell = shell_at(stage, line)
        if not shell or "pipefail" not in shell:
            report(line, "DL4006", "a pipe in RUN needs SHELL with -o pipefail first")


def shell_at(stage, line):
    """The SHELL in force at `line` of `stage` (own, else inherited)."""
    before = [a for l, a in stage.own("SHELL") if l < line]
    if before:
        return before[-1]
    inherited = stage.parent.inherited("SHELL") if stage.parent else None
    return inherited[1] if inherited else None


def listen_ports(command):
    """(port, host) of every listening flag in an exec-form command."""
    found = []
    for i, word in enumerate(command):
        flag, eq, value = word.partition("=")
        if flag in LISTEN_FLAGS:
            if not eq:
                value = command[i + 1] if i + 1 < len(command) else ""
            host, _, port = value.rpartition(":")
            if port.isdigit():
                found.append((int(port), host))
    return found


def default_ports(repo, binary):
    """The ports of the binary's ABSL_FLAG default listening addresses."""
    path = os.path.join(repo, DEFAULT_PORT_SOURCES[binary])
    with open(path, encoding="utf-8") as f:
        text = f.read()
    ports = set()
    for flag in ("listen", "worker_listen", "http"):
        m = re.search(r'ABSL_FLAG\(std::string,\s*%s,\s*"[^"]*:(\d+)"' % flag, text)
        if m:
            ports.add(int(m.group(1)))
    return ports


def check_role(stage, report, repo):
    line, args = stage.inherited("ENTRYPOINT")
    entry = exec_form(args) or []
    cmd = stage.inherited("CMD")
    command = entry + ((exec_form(cmd[1]) or []) if cmd else [])
    binary = os.path.basename(entry[0]) if entry else ""
    user = stage.inherited("USER")
    name = user[1].split(":")[0] if user else "root"
    if name in ("root", "0"):
        report(line, "DL3002", "stage %s runs as root" % stage.name)
    health = stage.inherited("HEALTHCHECK")
    probe = None
    if not health or "seedlm-health-probe" not in health[1]:
        report(line, "SL003", "stage %s has no HEALTHCHECK with seedlm-health-probe"
               % stage.name)
    else:
        probe = exec_form(re.sub(r"^(--\S+\s+)*CMD\s+", "", health[1]))
        if probe is None:
            report(health[0], "DL3025", "HEALTHCHECK CMD is not in exec form")
    exposed, ancestor = set(), stage
    while ancestor:  # EXPOSE accumulates down the stages an image derives from
        for _, a in ancestor.own("EXPOSE"):
            exposed |= {int(p.split("/")[0]) for p in a.split()
                        if p.split("/")[0].isdigit()}
        ancestor = ancestor.parent
    listens = listen_ports(command)
    ports = {p for p, _ in listens}
    if exposed != ports:
        report(line, "SL004", "stage %s: EXPOSE %s but listens on %s"
               % (stage.name, sorted(exposed), sorted(ports)))
    for port, host in listens:
        if host != "0.0.0.0":
            report(line, "SL004", "stage %s listens on %s:%d, unreachable from "
                   "outside the container" % (stage.name, host, port))
    if binary in ROLE_PORTS and ports != ROLE_PORTS[binary]:
        report(line, "SL004", "stage %s: %s listens on %s, contract says %s"
               % (stage.name, binary, sorted(ports), sorted(ROLE_PORTS[binary])))
    if repo and binary in DEFAULT_PORT_SOURCES:
        missing = default_ports(repo, binary) - ports
        if missing:
            report(line, "SL004", "stage %s: %s's default ports %s not exposed"
                   % (stage.name, binary, sorted(missing)))
    if probe:
        probed = listen_ports([w.replace("--addr", "--listen") for w in probe])
        if not probed or probed[0][0] not in ports:
            report(health[0], "SL003", "stage %s: HEALTHCHECK probes a port it "
                   "does not listen on" % stage.name)


def check(text, repo=None):
    """Findings as "LINE: RULE message" strings."""
    findings = []

    def report(line, rule, message):
        findings.append("%d: %s %s" % (line, rule, message))

    instructions = parse(text)
    stages = stages_of(instructions)
    names = {s.name for s in stages if s.name}
    for stage in stages:
        if stage.image not in names:
            image = stage.image.split("@")[0]
            tag = image.rpartition(":")[2] if ":" in image.rpartition("/")[2] else ""
            if "@" not in stage.image and not tag:
                report(stage.line, "DL3006", "FROM %s has no tag" % stage.image)
            if tag == "latest":
                report(stage.line, "DL3007", "FROM %s uses latest" % stage.image)
        for line, keyword, args in stage.instructions:
            if keyword == "RUN":
                check_run(line, args, stage, report)
            elif keyword == "ADD":
                report(line, "DL3020", "use COPY instead of ADD")
            elif keyword == "MAINTAINER":
                report(line, "DL4000", "MAINTAINER is deprecated")
            elif keyword in ("ENTRYPOINT", "CMD") and exec_form(args) is None:
                report(line, "DL3025", "%s is not in exec (JSON) form" % keyword)
            elif keyword == "USER" and not re.fullmatch(r"\d+(:\d+)?", args):
                report(line, "SL002", "USER %s is not a numeric UID[:GID]" % args)
        if stage.own("ENTRYPOINT"):
            check_role(stage, report, repo)
    outside = [s for s in stages if s.image not in names]
    copies = [a for s in stages for _, a in s.own("COPY") if "--from=" in a]
    if len(outside) < 2 or not any(s.image.endswith("-slim") for s in outside) \
            or not copies:
        report(1, "SL001", "want a build stage and a -slim runtime stage that "
               "takes files with COPY --from")
    if not any(s.own("ENTRYPOINT") for s in stages):
        report(1, "SL003", "no stage has an ENTRYPOINT (no role)")
    return findings


# A small Dockerfile that passes every rule; each SELF_TESTS entry breaks it
# in one way and names the rule that must fire.
GOOD = """\
FROM debian:12.11 AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \\
 && apt-get install -y --no-install-recommends g++ \\
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . /src
RUN g++ -o /src/seedlm-worker main.cc | tee build.log
FROM debian:12.11-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 \\
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/seedlm-worker /usr/local/bin/
USER 10001:10001
FROM runtime AS worker
EXPOSE 9090
HEALTHCHECK --interval=10s CMD ["seedlm-health-probe", "--http", "127.0.0.1:9090"]
ENTRYPOINT ["seedlm-worker"]
CMD ["--coordinator", "c:50052", "--http", "0.0.0.0:9090"]
"""

SELF_TESTS = [
    ("FROM debian:12.11 AS build", "FROM debian AS build", "DL3006"),
    ("FROM debian:12.11-slim AS", "FROM debian:latest AS", "DL3007"),
    ("install -y --no-install-recommends g++", "install --no-install-recommends g++",
     "DL3014"),
    ("install -y --no-install-recommends libssl3", "install -y libssl3", "DL3015"),
    (" \\\n && rm -rf /var/lib/apt/lists/*\nCOPY --from", "\nCOPY --from", "DL3009"),
    ("RUN apt-get update \\\n && apt-get install", "RUN apt update \\\n && apt-get install",
     "DL3027"),
    ("COPY . /src", "ADD . /src", "DL3020"),
    ("COPY . /src", "COPY . /src\nRUN cd /src && make", "DL3003"),
    ("COPY . /src", "COPY . /src\nRUN sudo make", "DL3004"),
    ('ENTRYPOINT ["seedlm-worker"]', "ENTRYPOINT seedlm-worker", "DL3025"),
    ('CMD ["--coordinator", "c:50052", "--http", "0.0.0.0:9090"]',
     "CMD --coordinator c:50052 --http 0.0.0.0:9090", "DL3025"),
    ('CMD ["seedlm-health-probe", "--http", "127.0.0.1:9090"]',
     "CMD seedlm-health-probe --http 127.0.0.1:9090", "DL3025"),
    ("USER 10001:10001", "USER 0", "DL3002"),
    ("USER 10001:10001", "USER root", "DL3002"),
    ("USER 10001:10001\n", "", "DL3002"),
    ("USER 10001:10001", "USER seedlm", "SL002"),
    ("FROM debian:12.11 AS build", "FROM debian:12.11 AS build\nMAINTAINER x", "DL4000"),
    ('SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n', "", "DL4006"),
    ("FROM debian:12.11-slim AS runtime", "FROM debian:12.11 AS runtime", "SL001"),
    ("COPY --from=build /src/seedlm-worker", "COPY /src/seedlm-worker", "SL001"),
    ("HEALTHCHECK --interval=10s CMD", "LABEL a=b\n#", "SL003"),
    ('"--http", "127.0.0.1:9090"]\nENTRYPOINT', '"--http", "127.0.0.1:9999"]\nENTRYPOINT',
     "SL003"),
    ("EXPOSE 9090", "EXPOSE 9090 8080", "SL004"),
    ("EXPOSE 9090\n", "", "SL004"),
    ('"--http", "0.0.0.0:9090"]', '"--http", "127.0.0.1:9090"]', "SL004"),
    ('"--http", "0.0.0.0:9090"]', '"--http", "0.0.0.0:9091"]', "SL004"),
]


def self_test():
    """Every rule fires on its broken file; the good file passes."""
    failures = 0
    good = check(GOOD)
    if good:
        print("FAIL: the good Dockerfile has findings: %s" % good)
        failures += 1
    for old, new, rule in SELF_TESTS:
        if old not in GOOD:
            print("FAIL: self-test for %s: %r is not in the good file" % (rule, old))
            failures += 1
            continue
        findings = check(GOOD.replace(old, new, 1))
        if not any((" %s " % rule) in f for f in findings):
            print("FAIL: %s did not fire for %r -> %r (findings: %s)"
                  % (rule, old, new, findings))
            failures += 1
        else:
            print("ok: %s fires (%s)" % (rule, [f for f in findings if rule in f][0]))
    failures += self_test_default_ports()
    rules = {rule for _, _, rule in SELF_TESTS}
    print("%d cases, %d rules, %d failures" % (len(SELF_TESTS), len(rules), failures))
    return 1 if failures else 0


def runtime_manifest(text, stage_name="runtime"):
    """What stage `stage_name` puts in the image, as lines:
    "copy SOURCE DEST" for each source of a COPY --from=build, "apt PACKAGE"
    for each package its RUNs apt-get install, "entrypoint BINARY" and
    "probe BINARY" for the ENTRYPOINT and HEALTHCHECK of every stage built
    on it (for tests/docker/runtime_files_test.sh)."""
    stages = stages_of(parse(text))
    lines = []
    for stage in stages:
        if stage.name == stage_name:
            for _, args in stage.own("COPY"):
                words = args.split()
                if not any(w.startswith("--from=") for w in words):
                    continue
                paths = [w for w in words if not w.startswith("--")]
                lines += ["copy %s %s" % (src, paths[-1]) for src in paths[:-1]]
            for _, args in stage.own("RUN"):
                for m in re.finditer(r"apt-get\s+install\s+([^&;|]*)", args):
                    lines += ["apt " + w for w in m.group(1).split()
                              if not w.startswith("-") and "$" not in w]
        elif stage.parent and stage.parent.name == stage_name:
            entry = exec_form(stage.inherited("ENTRYPOINT")[1]) \
                if stage.inherited("ENTRYPOINT") else None
            if entry:
                lines.append("entrypoint " + entry[0])
            health = stage.inherited("HEALTHCHECK")
            probe = exec_form(re.sub(r"^(--\S+\s+)*CMD\s+", "", health[1])) \
                if health else None
            if probe:
                lines.append("probe " + probe[0])
    return lines


def self_test_default_ports():
    """SL004 with --repo: a coordinator whose own default port (from its
    main.cc) the image does not expose fires; the matching one passes."""
    import tempfile
    coordinator = GOOD.replace("FROM runtime AS worker", "FROM runtime AS coordinator")
    coordinator = coordinator.replace("EXPOSE 9090", "EXPOSE 50051 50052 8080")
    coordinator = coordinator.replace(
        '"--http", "127.0.0.1:9090"]', '"--addr", "127.0.0.1:50051"]')
    coordinator = coordinator.replace('ENTRYPOINT ["seedlm-worker"]',
                                      'ENTRYPOINT ["seedlm-coordinator"]')
    coordinator = coordinator.replace(
        '["--coordinator", "c:50052", "--http", "0.0.0.0:9090"]',
        '["--listen", "0.0.0.0:50051", "--worker-listen", "0.0.0.0:50052", '
        '"--http", "0.0.0.0:8080"]')
    failures = 0
    for port, want in ((50051, False), (50099, True)):
        with tempfile.TemporaryDirectory() as repo:
            for binary, source in DEFAULT_PORT_SOURCES.items():
                os.makedirs(os.path.join(repo, os.path.dirname(source)))
                with open(os.path.join(repo, source), "w", encoding="utf-8") as f:
                    f.write('ABSL_FLAG(std::string, listen, "127.0.0.1:%d",\n  "x");\n'
                            % (port if binary == "seedlm-coordinator" else 50061))
            findings = check(coordinator, repo=repo)
        fired = any("default ports" in f for f in findings)
        if fired != want or (not want and findings):
            print("FAIL: default port %d: findings %s" % (port, findings))
            failures += 1
        else:
            print("ok: default port %d: %s" % (port, findings or "no findings"))
    return failures


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) == 3 and argv[1] == "--runtime-manifest":
        with open(argv[2], encoding="utf-8") as f:
            print("\n".join(runtime_manifest(f.read())))
        return 0
    repo = None
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--repo":
        repo, args = args[1], args[2:]
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(repo or os.path.join(here, "..", ".."))
    path = args[0] if args else os.path.join(root, "deploy", "docker", "Dockerfile")
    with open(path, encoding="utf-8") as f:
        findings = check(f.read(), repo=repo)
    for finding in findings:
        print("%s:%s" % (path, finding))
    print("%s: %d findings" % (path, len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
