"""The files an open book carries: one version everywhere, a valid citation file, the
licences, the contributors' guide, GitHub workflows that GitHub would accept, and the
old addresses of moved pages."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# check-jsonschema (pinned in requirements.txt) ships the schemas it checks against.
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")
CFF_REQUIRED = ("cff-version", "message", "title", "authors")


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def changelog_releases() -> list[tuple[str, str]]:
    """``(version, date)`` of each release in CHANGELOG.md, newest first."""
    text = (ROOT / "CHANGELOG.md").read_text()
    return re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, re.MULTILINE)


def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def check_schema(schema: str, *files: Path, filetype: str | None = None) -> None:
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", schema]
    if filetype:
        command += ["--default-filetype", filetype]
    result = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_version_in_pyproject_citation_changelog_and_footer():
    version = project_version()
    releases = changelog_releases()
    assert releases, "CHANGELOG.md has no release heading '## [X.Y.Z] - YYYY-MM-DD'"
    assert releases[0][0] == version, f"CHANGELOG.md: {releases[0][0]}, pyproject: {version}"
    assert str(citation()["version"]) == version
    footer = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]
    assert f"Version {version}." in footer


def test_the_citation_file_parses_and_dates_its_release():
    cff = citation()
    missing = [key for key in CFF_REQUIRED if key not in cff]
    assert not missing, f"CITATION.cff lacks {missing}"
    assert cff["authors"] and all("name" in a or "family-names" in a for a in cff["authors"])
    # the release the citation names is the changelog's, on the same day
    assert (str(cff["version"]), str(cff["date-released"])) == changelog_releases()[0]
    assert sorted(cff["license"]) == ["CC-BY-4.0", "MIT"]


def test_the_citation_file_follows_the_cff_schema():
    check_schema("vendor.citation-file-format", ROOT / "CITATION.cff", filetype="yaml")


def test_the_changelog_keeps_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert text.startswith("# Changelog\n") and "## [Unreleased]" in text
    releases = changelog_releases()
    versions = [tuple(map(int, v.split("."))) for v, _ in releases]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    assert [d for _, d in releases] == sorted((d for _, d in releases), reverse=True)
    for heading in re.findall(r"^### (.+)$", text, re.MULTILINE):
        assert heading in {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, heading


def test_the_licence_names_both_licences_and_the_readme_and_footer_say_which_is_which():
    licence = (ROOT / "LICENSE").read_text()
    assert "MIT License" in licence and "Attribution 4.0 International" in licence
    assert "Creative Commons Attribution 4.0 International Public License" in licence  # the full text
    for text in ((ROOT / "README.md").read_text(),
                 yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["extra_footer"]):
        assert "CC BY 4.0" in text and "MIT" in text


def test_contributing_keeps_the_stored_outputs_section_and_the_readme_links_it():
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert "\n## Stored outputs and declared tolerances\n" in contributing
    assert "make test-portable" in contributing and "make refresh" in contributing
    assert "(CONTRIBUTING.md)" in (ROOT / "README.md").read_text()
    assert "<CONTRIBUTING>" in (ROOT / "intro.md").read_text()


def test_the_workflows_follow_githubs_schema():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {path.name for path in workflows} >= {"ci.yml", "pages.yml"}
    check_schema("vendor.github-workflows", *workflows)


@pytest.mark.parametrize(("name", "must_run"), [
    ("ci.yml", ".ci/run"),
    ("pages.yml", "make site-dir"),
])
def test_each_workflow_runs_what_the_readme_says(name, must_run):
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", [])]
    assert any(must_run in run for run in runs), f"{name} does not run {must_run}"
    if name == "pages.yml":
        uploads = [step for job in workflow["jobs"].values() for step in job.get("steps", [])
                   if str(step.get("uses", "")).startswith("actions/upload-pages-artifact")]
        assert uploads and uploads[0]["with"]["path"] == "_build/site"


def test_pages_deploys_only_what_ci_passed_on_a_push_to_this_repositorys_main():
    # workflow_run's branch filter matches a fork's pull request from a branch named main
    # too: the build job's condition must require a push to this repository.
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["workflow_run"]["workflows"] == ["CI"]
    assert triggers["workflow_run"]["branches"] == ["main"]
    condition = " ".join(workflow["jobs"]["build"]["if"].split())
    for part in ("github.event.workflow_run.conclusion == 'success'",
                 "github.event.workflow_run.event == 'push'",
                 "github.event.workflow_run.head_repository.full_name == github.repository",
                 "github.ref == 'refs/heads/main'"):
        assert part in condition, f"pages.yml's build condition lacks {part}"
    checkout = workflow["jobs"]["build"]["steps"][0]
    assert checkout["with"]["ref"].startswith("${{ github.event.workflow_run.head_sha")


def test_every_moved_page_redirects_to_a_page_of_the_book():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    toc = (ROOT / "_toc.yml").read_text()
    assert config["redirects"], "the moved pages' old addresses must redirect"
    for old, new in config["redirects"].items():
        folder = Path(old).parent
        target = (folder / new).with_suffix("")
        assert not (ROOT / old).with_suffix(".ipynb").exists(), f"{old} still exists: no redirect needed"
        assert (ROOT / target).with_suffix(".ipynb").exists(), f"{old} redirects to {new}: no such page"
        assert f"file: {target.as_posix()}\n" in toc, f"{target} is not in _toc.yml"
    template = (ROOT / config["redirect_html_template_file"]).read_text()
    assert '<html lang="en">' in template and "<title>" in template and "${to_uri}" in template
