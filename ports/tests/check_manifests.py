#!/usr/bin/env python3
"""Checks the ports' manifests and layouts, which no toolchain here reads (ctest ports.manifests).

ESP-IDF (ports/espidf):
  - idf_component.yml parses as YAML with the Component Manager's keys: a semantic version
    equal to the project's (CMakeLists.txt), a description, known targets, an `idf`
    dependency that admits 5.3 and excludes 6 (mbedTLS 4; docs/espidf.md);
  - every CONFIG_MQTLS_* the sources and CMakeLists.txt use is a Kconfig option, and every
    Kconfig option is used;
  - the layer folders CMakeLists.txt globs exist and hold sources, every file it names
    exists, and mqtt/sources.cmake names each mqtt/src/*.cpp once;
  - each example's main/idf_component.yml path dependency resolves to ports/espidf, and every
    CONFIG_EXAMPLE_* its sources use is in its Kconfig.projbuild.

Arduino and PlatformIO (ports/arduino):
  - library.properties has the Library Specification's fields (a known category, the
    project's version, architectures esp32, an `includes` header the library has);
  - library.json is valid against tests/library-json.schema.json (written from PlatformIO's
    documentation), agrees with library.properties, and its examples and headers exist;
  - with --assembled DIR (a library made by scripts/arduino-library.sh): every #include of its
    sources, headers and examples resolves inside src/ (Arduino puts only src/ on the include
    path) or is a header of the toolchain, the ESP32 core or its mbedTLS.

Prints each problem and exits 1 when there is one.
"""
import argparse
import json
import pathlib
import re
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ESPIDF = ROOT / "ports" / "espidf"
ARDUINO = ROOT / "ports" / "arduino"
# The Arduino Library Specification's categories.
ARDUINO_CATEGORIES = {"Display", "Communication", "Signal Input/Output", "Sensors",
                      "Device Control", "Timing", "Data Storage", "Data Processing", "Other"}
# Headers an assembled library may include from outside itself: the C and C++ libraries, POSIX
# and lwIP sockets, the ESP32 Arduino core, ESP-IDF and its mbedTLS.
EXTERNAL_INCLUDES = re.compile(
    r"^(?:[a-z_]+|c[a-z]+|[a-z]+\.h|sys/\w+\.h|netinet/\w+\.h|arpa/\w+\.h|"
    r"mbedtls/\w+\.h|psa/\w+\.h|freertos/\w+\.h|esp_\w+\.h|nvs\w*\.h|"
    r"Arduino\.h|WiFi\.h|gtest/gtest\.h)$")
# ESP-IDF 5.3's targets (idf.py --list-targets), the names the Component Manager takes.
IDF_TARGETS = {"esp32", "esp32s2", "esp32s3", "esp32c2", "esp32c3", "esp32c5", "esp32c6",
               "esp32c61", "esp32h2", "esp32p4"}
SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")

problems = []


def problem(where, text):
    shown = where.relative_to(ROOT) if where.is_relative_to(ROOT) else where
    problems.append(f"{shown}: {text}")


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


def check_mqtt_source_list():
    """mqtt/sources.cmake names every mqtt/src/*.cpp once (the component compiles that list)."""
    path = ROOT / "mqtt" / "sources.cmake"
    named = re.findall(r"\$\{CMAKE_CURRENT_LIST_DIR\}/(src/\w+\.cpp)", path.read_text())
    for name in named:
        if not (ROOT / "mqtt" / name).is_file():
            problem(path, f"names {name}, which does not exist")
    for source in sorted((ROOT / "mqtt" / "src").glob("*.cpp")):
        count = named.count(f"src/{source.name}")
        if count != 1:
            problem(path, f"names src/{source.name} {count} times, not once")


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


def read_properties(path):
    properties = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if "=" not in line:
            problem(path, f"line {number} is not key=value")
            continue
        key, value = line.split("=", 1)
        if key in properties:
            problem(path, f"{key} is given twice")
        properties[key] = value
    return properties


def check_arduino_manifests():
    path = ARDUINO / "library.properties"
    properties = read_properties(path)
    for key in ("name", "version", "author", "maintainer", "sentence", "paragraph", "category",
                "url", "architectures", "includes"):
        if key not in properties:
            problem(path, f"has no {key}")
    for key in ("name", "version", "author", "maintainer", "sentence", "category",
                "architectures"):
        if key in properties and not properties[key].strip():
            problem(path, f"{key} is empty")
    if properties.get("version") != project_version():
        problem(path, f"version {properties.get('version')} is not the project's {project_version()}")
    if properties.get("category") not in ARDUINO_CATEGORIES:
        problem(path, f"category '{properties.get('category')}' is not one of the specification's")
    url = properties.get("url", "")
    if url and not url.startswith("https://"):
        problem(path, f"url '{url}' is not an https URL")
    if properties.get("architectures") != "esp32":
        problem(path, "architectures must be esp32 (the board is ESP-IDF's Platform)")
    for header in filter(None, properties.get("includes", "").split(",")):
        if not (ARDUINO / "src" / header.strip()).is_file():
            problem(path, f"includes {header}, which src/ does not have")

    json_path = ARDUINO / "library.json"
    manifest = json.loads(json_path.read_text())
    schema = json.loads((ROOT / "ports" / "tests" / "library-json.schema.json").read_text())
    for error in jsonschema.Draft7Validator(schema).iter_errors(manifest):
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        problem(json_path, f"{where}: {error.message}")
    for key in ("name", "version"):
        if manifest.get(key) != properties.get(key):
            problem(json_path, f"{key} '{manifest.get(key)}' differs from library.properties")
    for header in manifest.get("headers", []):
        if not (ARDUINO / "src" / header).is_file():
            problem(json_path, f"header {header} is not in src/")
    for example in manifest.get("examples", []):
        for name in example.get("files", []):
            if not (ARDUINO / example["base"] / name).is_file():
                problem(json_path, f"example file {example['base']}/{name} does not exist")
    listed = {example["base"] for example in manifest.get("examples", [])}
    for folder in sorted((ARDUINO / "examples").iterdir()):
        if f"examples/{folder.name}" not in listed:
            problem(json_path, f"examples/{folder.name} is not listed")
        if not (folder / f"{folder.name}.ino").is_file():
            problem(folder, f"has no {folder.name}.ino (the sketch must be named after its folder)")


def check_assembled_library(library):
    src = library / "src"
    if not (library / "library.properties").is_file() or not src.is_dir():
        problem(library, "is not an assembled library (no library.properties or src/)")
        return
    files = [f for f in library.rglob("*") if f.suffix in (".cpp", ".hpp", ".h", ".ino")]
    for source in files:
        for included in re.findall(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', source.read_text(),
                                   re.M):
            if (source.parent / included).is_file() or (src / included).is_file():
                continue
            if EXTERNAL_INCLUDES.match(included):
                continue
            problem(source, f"includes {included}, which is neither in the library nor a "
                            "toolchain, core or mbedTLS header")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assembled", type=pathlib.Path,
                        help="an Arduino library made by scripts/arduino-library.sh")
    arguments = parser.parse_args()
    check_arduino_manifests()
    if arguments.assembled:
        check_assembled_library(arguments.assembled.resolve())
    check_component_manifest()
    check_kconfig()
    check_component_sources()
    check_mqtt_source_list()
    check_examples()
    for line in problems:
        print(f"check_manifests: {line}")
    if problems:
        return 1
    print("check_manifests: ESP-IDF component, Arduino and PlatformIO manifests"
          + (" and the assembled library's includes" if arguments.assembled else "") + " OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
