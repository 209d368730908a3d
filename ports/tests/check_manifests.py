#!/usr/bin/env python3
"""Checks the ports' manifests and layouts, which no toolchain here reads (ctest ports.manifests).

ESP-IDF (ports/espidf):
  - idf_component.yml parses as YAML with the Component Manager's keys: a semantic version
    equal to the project's (CMakeLists.txt), a description, known targets, an `idf`
    dependency that admits 5.3 and excludes 6 (mbedTLS 4; docs/espidf.md);
  - every CONFIG_MQTLS_* the sources and CMakeLists.txt use is a Kconfig option, and every
    Kconfig option is used;
  - the layer folders CMakeLists.txt globs exist and hold sources, and every file it names
    exists;
  - each example's main/idf_component.yml path dependency resolves to ports/espidf, and every
    CONFIG_EXAMPLE_* its sources use is in its Kconfig.projbuild.

Prints each problem and exits 1 when there is one.
"""
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ESPIDF = ROOT / "ports" / "espidf"
# ESP-IDF 5.3's targets (idf.py --list-targets), the names the Component Manager takes.
IDF_TARGETS = {"esp32", "esp32s2", "esp32s3", "esp32c2", "esp32c3", "esp32c5", "esp32c6",
               "esp32c61", "esp32h2", "esp32p4"}
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")

problems = []


def problem(where, text):
    problems.append(f"{where.relative_to(ROOT)}: {text}")


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"^project\(mqtls VERSION (\d+\.\d+\.\d+)", text, re.M)
    return match.group(1) if match else None


def version_tuple(text):
    return tuple(int(part) for part in text.split("."))


def admits(spec, version):
    """Whether a Component Manager version spec like ">=5.3,<6.0" admits `version`."""
    for clause in spec.split(","):
        match = re.fullmatch(r"\s*(>=|<=|>|<|==|\^|~)?\s*(\d+(?:\.\d+){0,2})\s*", clause)
        if not match:
            return None
        operator, bound = match.group(1) or "==", match.group(2)
        have, want = version_tuple(version), version_tuple(bound)
        width = max(len(have), len(want))
        have += (0,) * (width - len(have))
        want += (0,) * (width - len(want))
        ok = {">=": have >= want, "<=": have <= want, ">": have > want, "<": have < want,
              "==": have == want, "^": have >= want and have[0] == want[0],
              "~": have >= want and have[:2] == want[:2]}[operator]
        if not ok:
            return False
    return True


def check_component_manifest():
    path = ESPIDF / "idf_component.yml"
    try:
        manifest = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        problem(path, f"is not YAML: {error}")
        return
    if not isinstance(manifest, dict):
        problem(path, "is not a mapping")
        return
    known = {"version", "description", "url", "repository", "documentation", "issues",
             "license", "tags", "targets", "dependencies", "files", "maintainers", "discussion"}
    for key in manifest:
        if key not in known:
            problem(path, f"unknown key '{key}'")
    version = str(manifest.get("version", ""))
    if not SEMVER.match(version):
        problem(path, f"version '{version}' is not a semantic version")
    elif version != project_version():
        problem(path, f"version {version} is not the project's {project_version()}")
    if not str(manifest.get("description", "")).strip():
        problem(path, "has no description")
    for target in manifest.get("targets", []):
        if target not in IDF_TARGETS:
            problem(path, f"unknown target '{target}'")
    idf = (manifest.get("dependencies") or {}).get("idf")
    spec = idf.get("version") if isinstance(idf, dict) else idf
    if not spec:
        problem(path, "names no idf version")
    else:
        for version_, wanted in (("5.3.0", True), ("5.4.1", True), ("5.2.3", False),
                                 ("6.0.0", False)):
            verdict = admits(str(spec), version_)
            if verdict is None:
                problem(path, f"idf version '{spec}' cannot be read")
                break
            if verdict != wanted:
                problem(path, f"idf '{spec}' {'refuses' if wanted else 'admits'} IDF {version_}")


def kconfig_options(path):
    return set(re.findall(r"^\s*(?:menu)?config\s+(\w+)", path.read_text(), re.M))


def check_kconfig():
    kconfig = ESPIDF / "Kconfig"
    options = kconfig_options(kconfig)
    used = set()
    for source in list(ESPIDF.rglob("*.[ch]pp")) + [ESPIDF / "CMakeLists.txt"]:
        if "examples" in source.parts:
            continue
        used |= set(re.findall(r"CONFIG_(MQTLS_\w+)", source.read_text()))
    for name in sorted(used - options):
        problem(kconfig, f"CONFIG_{name} is used but not defined")
    for name in sorted(options - used):
        problem(kconfig, f"{name} is defined but nothing uses CONFIG_{name}")


def check_component_sources():
    path = ESPIDF / "CMakeLists.txt"
    text = path.read_text()
    for folder in re.findall(r"\$\{_mqtls_root\}/([\w/]+)/\*\.cpp", text):
        if not list((ROOT / folder).glob("*.cpp")):
            problem(path, f"globs {folder}/*.cpp, which holds no sources")
    for named in re.findall(r"\$\{_mqtls_root\}/([\w/.]+\.(?:cpp|in))", text):
        if not (ROOT / named).is_file():
            problem(path, f"names {named}, which does not exist")
    for named in re.findall(r"^\s+(src/[\w/]+\.cpp)", text, re.M):
        if not (ESPIDF / named).is_file():
            problem(path, f"names {named}, which does not exist")


def check_examples():
    for example in sorted((ESPIDF / "examples").iterdir()):
        main = example / "main"
        manifest_path = main / "idf_component.yml"
        manifest = yaml.safe_load(manifest_path.read_text())
        dependency = (manifest.get("dependencies") or {}).get("mqtls") or {}
        target = (main / str(dependency.get("path", ""))).resolve()
        if target != ESPIDF:
            problem(manifest_path, f"mqtls path leads to {target}, not ports/espidf")
        options = kconfig_options(main / "Kconfig.projbuild")
        for source in main.glob("*.cpp"):
            for name in sorted(set(re.findall(r"CONFIG_(EXAMPLE_\w+)", source.read_text()))):
                if name not in options:
                    problem(source, f"CONFIG_{name} is not in Kconfig.projbuild")
        for embedded in re.findall(r'EMBED_TXTFILES\s+"([^"]+)"', (main / "CMakeLists.txt").read_text()):
            if not (main / embedded).is_file():
                problem(main / "CMakeLists.txt", f"embeds {embedded}, which does not exist")


def main():
    check_component_manifest()
    check_kconfig()
    check_component_sources()
    check_examples()
    for line in problems:
        print(f"check_manifests: {line}")
    if problems:
        return 1
    print("check_manifests: ESP-IDF component manifest, Kconfig, sources and examples OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
